#!/bin/sh
# Composite index engine benchmark: 20,000 units × 60 indicators (1 % of the
# values missing), one deterministic run (the baseline) against a Monte Carlo
# of 1,000 samples, both on 2 cores, measured in the same run. Prints the
# times, their ratio and the peak memory of the Monte Carlo process.
set -eu
cd "$(dirname "$0")/.."
out=bench/out
mkdir -p "$out"
go test -c -o "$out/evaluate.test" ./internal/evaluate
export GOMAXPROCS=2
n=${BENCH_COUNT:-3}

"$out/evaluate.test" -test.run '^$' -test.bench 'EvaluateRun$|EvaluateMonteCarlo1000$' \
	-test.benchtime "${n}x" -test.benchmem | tee "$out/evaluate.txt"

# peak memory of one Monte Carlo (data generation included)
if [ -x /usr/bin/time ]; then
	/usr/bin/time -v "$out/evaluate.test" -test.run '^$' -test.bench 'EvaluateMonteCarlo1000$' \
		-test.benchtime 1x >/dev/null 2>"$out/evaluate-mem.txt" || true
	rss=$(awk -F: '/Maximum resident set size/ {gsub(/ /,"",$2); print $2}' "$out/evaluate-mem.txt")
else
	rss=""
fi

awk -v rss="$rss" '
/^BenchmarkEvaluateRun-/ { run = $3 }
/^BenchmarkEvaluateMonteCarlo1000-/ { mc = $3 }
END {
	if (run == "" || mc == "") { print "benchmark output missing"; exit 1 }
	printf "deterministic run (baseline): %.3f s\n", run / 1e9
	printf "Monte Carlo, 1000 samples:    %.3f s\n", mc / 1e9
	printf "ratio MC / baseline:          %.1f×  (%.2f baselines per 100 samples)\n", mc / run, mc / run / 10
	if (rss != "") printf "peak RSS of MC process:       %.0f MiB\n", rss / 1024
}' "$out/evaluate.txt"
