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
# and are not what is measured. Nothing on the server is configured for
# the benchmark.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=bench/out/feedback
mkdir -p "$OUT"
CGO_ENABLED=0 go build -o "$OUT/zhihui" ./cmd/zhihui
CGO_ENABLED=0 go build -o "$OUT/feedback" ./bench/feedback
echo "cores: $(nproc)  load: $(cut -d' ' -f1-3 /proc/loadavg)"
"$OUT/feedback" -zhihui "$OUT/zhihui" -c "${C:-64}" -d "${D:-10s}" | tee "$OUT/sqlite.json"
PG=${ZHIHUI_BENCH_POSTGRES:-${ZHIHUI_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432/test}}
if [ "$PG" != off ]; then
	"$OUT/feedback" -zhihui "$OUT/zhihui" -db "$PG" -c "${C:-64}" -d "${D:-10s}" | tee "$OUT/postgres.json"
fi
