#!/usr/bin/env bash
# The project portfolio dashboard over a generated portfolio of 10,000
# projects (a third with baselines, most of those with progress; ratings;
# two years of O&M requests): the whole page GET /projects/dashboard as a
# provincial leader, and the domain's Portfolio alone, against a plain SQL
# COUNT(*) of the same projects and one GROUP BY, in the same run on the
# same store. Wall time (median, 90th percentile) and CPU per request.
#
#   bench/portfolio.sh                       # SQLite, 10,000 projects
#   N=2000 REPS=10 bench/portfolio.sh
#   DB=postgres://postgres@127.0.0.1:5432/test bench/portfolio.sh
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bench/out
export GOMAXPROCS=2
go run ./bench/portfolio -n "${N:-10000}" -reps "${REPS:-20}" -db "${DB:-}" | tee "bench/out/portfolio-$([ -n "${DB:-}" ] && echo postgres || echo sqlite).txt" | tail -7
