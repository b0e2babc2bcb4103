#!/usr/bin/env bash
# Job engine throughput: N trivial jobs on SQLite and on PostgreSQL —
# enqueued one insert at a time, then worked by one process with the
# default workers and with 50 — against the baseline of N plain single-row INSERTs on
# the same store in the same run.
#
#   N=2000 bench/jobs.sh
#   ZHIHUI_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/test bench/jobs.sh
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-2000}
go test -run '^$' -bench '^BenchmarkJobs$' -benchtime "${N}x" -count "${COUNT:-1}" ./internal/jobs/
