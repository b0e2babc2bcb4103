#!/usr/bin/env bash
# Public rating endpoint benchmark: a real `zhihui serve` on 127.0.0.1
# answering POST /api/v1/ratings to a Go load generator (bench/feedback),
# then, in the same run and on the same store, the plain-insert baseline
# (the same number of rows inserted straight into publiceval_rating, one
# transaction each, from as many writers as there were clients).
# SQLite, then PostgreSQL (ZHIHUI_BENCH_POSTGRES, default the test server;
# set it to "off" to skip).
#
#   bench/feedback.sh                  # 64 clients, 10 s measured after 2 s of warm-up
#   C=128 D=20s bench/feedback.sh
#
# Each client address sends three ratings (see bench/feedback/main.go):
# the server's per-address limits and burst flags run on every request
# and are not what is measured; 30 % come as the embedded widget sends
# them (Origin of the target's own site). Nothing on the server is
# configured for the benchmark.
#
# The machine is shared, so besides ratings/s the figures to compare are
# the CPU per 1,000 ratings (server, load generator and, on PostgreSQL,
# the database backends serving the server) against the plain insert's
# per 1,000 rows, and how much of the two cores other work took meanwhile.
# PROFILE=1 writes the server's CPU profiles to bench/out/feedback/*.prof.
#
# Then, per store, the same load on a fresh store and a server killed
# with SIGKILL 5 s into it: every rating answered 201 before the kill
# must be in the store after it (the run fails otherwise).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=bench/out/feedback
mkdir -p "$OUT"
CGO_ENABLED=0 go build -o "$OUT/zhihui" ./cmd/zhihui
CGO_ENABLED=0 go build -o "$OUT/feedback" ./bench/feedback
echo "cores: $(nproc)  load: $(cut -d' ' -f1-3 /proc/loadavg)"
prof() { if [ -n "${PROFILE:-}" ]; then echo "-profile $PWD/$OUT/$1.prof"; fi; }
# shellcheck disable=SC2046
"$OUT/feedback" -zhihui "$OUT/zhihui" -c "${C:-64}" -d "${D:-10s}" $(prof sqlite) | tee "$OUT/sqlite.json"
"$OUT/feedback" -zhihui "$OUT/zhihui" -c "${C:-64}" -d 60s -kill-after 5s
PG=${ZHIHUI_BENCH_POSTGRES:-${ZHIHUI_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432/test}}
if [ "$PG" != off ]; then
	# shellcheck disable=SC2046
	"$OUT/feedback" -zhihui "$OUT/zhihui" -db "$PG" -c "${C:-64}" -d "${D:-10s}" $(prof postgres) | tee "$OUT/postgres.json"
	"$OUT/feedback" -zhihui "$OUT/zhihui" -db "$PG" -c "${C:-64}" -d 60s -kill-after 5s
fi
