#!/usr/bin/env bash
# Duplicate-construction detection over a generated corpus of proposals
# (gse word pairs, MinHash + LSH, SimHash) against the exact Jaccard of
# every pair on the same documents in the same run; the full report and
# new proposals through a SQLite store holding the corpus; precision and
# recall on planted near duplicates. Then the portfolio dashboard
# (bench/portfolio.sh: the page with its figures kept and right after a
# change, against a plain COUNT(*) and GROUP BY stage in the same run);
# PORTFOLIO=0 leaves it out.
#
#   bench/projects.sh                 # 10,000 proposals of ~2,000 characters
#   N=2000 BRUTE=500 QUERIES=10 bench/projects.sh
#   PORTFOLIO=0 bench/projects.sh     # detection only
set -euo pipefail
cd "$(dirname "$0")/.."
go run ./bench/projects -n "${N:-10000}" -size "${SIZE:-2000}" -brute "${BRUTE:-1000}" -queries "${QUERIES:-20}" -planted "${PLANTED:-200}" -threshold "${T:-0.3}"
if [ "${PORTFOLIO:-1}" != 0 ]; then
	N="${N:-10000}" bench/portfolio.sh
fi
