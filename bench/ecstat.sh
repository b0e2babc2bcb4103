#!/bin/sh
# Survey estimation benchmark: totals, ratio estimates and Taylor-linearised
# variances for the province, 18 cities, 180 counties and 20 industry
# sections from 200,000 respondents in 1,440 strata, against the plain
# weighted sums of the same domains (the baseline), on 2 cores, same run.
set -eu
cd "$(dirname "$0")/.."
out=bench/out
mkdir -p "$out"
go test -c -o "$out/ecstat-survey.test" ./internal/ecstat/survey
export GOMAXPROCS=2
n=${BENCH_COUNT:-5}
"$out/ecstat-survey.test" -test.run '^$' -test.bench 'Estimate200k$|PlainSum200k$' -test.benchtime "${n}x" -test.benchmem | tee "$out/ecstat.txt"
awk '/BenchmarkEstimate200k/ {e=$3} /BenchmarkPlainSum200k/ {p=$3} END { if (p > 0) printf "estimate / plain sum: %.2f\n", e / p }' "$out/ecstat.txt"
echo "load: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || true)"
