#!/bin/sh
# Foundation figures: fresh `serve --demo` start (migrate + 55,164 units +
# demo users) until /healthz answers, and listing a county's villages.
# Baselines measured in the same run: process start of `zhihui version`, and
# a plain LIKE scan for the same villages.
set -eu
cd "$(dirname "$0")/.."
out=bench/out; mkdir -p $out
go build -o $out/zhihui ./cmd/zhihui
PORT=${PORT:-18181}
now() { date +%s%N; }
ms() { echo "scale=1; ($2 - $1) / 1000000" | bc; }

echo "## fresh --demo start (SQLite), 3 runs"
for i in 1 2 3; do
  rm -rf $out/data
  t0=$(now)
  $out/zhihui serve --demo --data $out/data --addr 127.0.0.1:$PORT >$out/serve.log 2>&1 &
  pid=$!
  until curl -fs http://127.0.0.1:$PORT/healthz >/dev/null 2>&1; do sleep 0.02; done
  t1=$(now)
  kill $pid; wait $pid 2>/dev/null || true
  t2=$(now); $out/zhihui version >/dev/null; t3=$(now)
  echo "run $i: ready after $(ms $t0 $t1) ms (baseline: bare process start $(ms $t2 $t3) ms); server says: $(grep -o 'ready in [^ ]*' $out/serve.log)"
done

echo "## second start reuses the data"
t0=$(now)
$out/zhihui serve --demo --data $out/data --addr 127.0.0.1:$PORT >$out/serve.log 2>&1 &
pid=$!
until curl -fs http://127.0.0.1:$PORT/healthz >/dev/null 2>&1; do sleep 0.02; done
t1=$(now); kill $pid; wait $pid 2>/dev/null || true
echo "restart: ready after $(ms $t0 $t1) ms"

echo "## Go benchmarks (org units: county villages vs plain LIKE scan; load vs bare insert)"
go test -run '^$' -bench 'CountyVillages|Load' -benchtime 20x ./internal/orgunit
