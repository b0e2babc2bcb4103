#!/usr/bin/env bash
# Duplicate-construction detection over a generated corpus of proposals:
# the prefix-filtered all-pairs join against the brute-force pairwise
# Jaccard baseline on the same documents in the same run, precision and
# recall on planted near duplicates, and one new proposal against the
# corpus.
#
#   bench/projects.sh                 # 10,000 proposals of ~2,000 characters
#   N=2000 BRUTE=1000 bench/projects.sh
set -euo pipefail
cd "$(dirname "$0")/.."
go run ./bench/projects -n "${N:-10000}" -size "${SIZE:-2000}" -brute "${BRUTE:-2000}" -planted "${PLANTED:-200}" -threshold "${T:-0.3}"
