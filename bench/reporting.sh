#!/bin/sh
# Reporting figures: time from a fresh `serve --demo` start until the
# background demo data (2013–2020, all levels, 12 village months) is done,
# and the dashboard's target progress against the plain analytics query it
# wraps (Go benchmarks, same run).
set -eu
cd "$(dirname "$0")/.."
out=bench/out; mkdir -p $out
go build -o $out/zhihui ./cmd/zhihui
PORT=${PORT:-18182}
now() { date +%s%N; }
ms() { echo "scale=1; ($2 - $1) / 1000000" | bc; }

echo "## fresh serve --demo (SQLite): ready, then demo data done"
rm -rf $out/rdata
t0=$(now)
$out/zhihui serve --demo --data $out/rdata --addr 127.0.0.1:$PORT >$out/rserve.log 2>&1 &
pid=$!
until curl -fs http://127.0.0.1:$PORT/healthz >/dev/null 2>&1; do sleep 0.02; done
t1=$(now)
until curl -fs "http://127.0.0.1:$PORT/demo/status?format=json" | grep -q '"done":true'; do sleep 0.5; done
t2=$(now)
echo "ready after $(ms $t0 $t1) ms; demo data done after $(ms $t0 $t2) ms"
curl -fs "http://127.0.0.1:$PORT/demo/status?format=json"; echo
curl -fs -c $out/cj -o /dev/null -d "name=leader&password=zhihui-demo" http://127.0.0.1:$PORT/login || true
for u in "/dashboard" "/dashboard?ou=4101&dx=BB_URBAN_CAP&year=2020" "/public"; do
  for i in 1 2 3; do curl -fs -b $out/cj -o /dev/null -w "GET $u %{time_total}s\n" "http://127.0.0.1:$PORT$u"; done
done
kill $pid; wait $pid 2>/dev/null || true

echo "## target progress vs the plain analytics query (one city of demo data)"
go test ./internal/reporting -run '^$' -bench 'BenchmarkProgress' -benchtime 200x | tee $out/rbench.txt
a=$(awk '/^BenchmarkProgress-/ {print $3}' $out/rbench.txt)
b=$(awk '/^BenchmarkProgressBaseline-/ {print $3}' $out/rbench.txt)
echo "ratio progress / analytics baseline: $(echo "scale=2; $a / $b" | bc)"
