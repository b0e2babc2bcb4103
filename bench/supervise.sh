#!/bin/sh
# Task supervision benchmarks on 2 cores: the status lights of 50,000 open
# items (baseline: working days counted day by day) and the annual
# assessment of the cities, counties and departments for one year
# (baseline: reading the same items with one plain query and counting
# their outcomes), measured in the same run.
set -eu
cd "$(dirname "$0")/.."
out=bench/out
mkdir -p "$out"
go test -c -o "$out/supervise.test" ./internal/supervise
export GOMAXPROCS=2
n=${BENCH_COUNT:-3}
"$out/supervise.test" -test.run '^$' -test.bench 'Lights|Assess' -test.count "$n" | tee "$out/supervise.txt"
