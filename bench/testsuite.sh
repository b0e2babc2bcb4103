#!/bin/sh
# How long the test suite takes: `make test-short` and `make test` with
# P test packages at once (default 8), each against
# the baseline of go test's default of one package per core (TEST_P=2 on
# two cores) run right after it in the same session, so both see the same
# machine. For each run: wall and CPU time (user + sys of go test, the
# test binaries and the chromium they start and reap; the PostgreSQL
# server's CPU is not included), the load average before and after, and
# the ten slowest packages from go test's "ok" lines.
#
#   TARGETS="test-short test"  which make targets (default both)
#   P=8                        the packages at once to measure
#   BASE_P=2                   the baseline's (empty: no baseline run)
#
# Run it on a fresh clone for the figures in docs/performance.md: the
# build cache is then as a newcomer's, cold for the first target.
set -eu
cd "$(dirname "$0")/.."
out=bench/out/testsuite
mkdir -p $out
P=${P:-8}
BASE_P=${BASE_P-2}
for target in ${TARGETS:-test-short test}; do
	for p in $P $BASE_P; do
		name=$target-p$p
		load0=$(cut -d' ' -f1-3 /proc/loadavg)
		status=ok
		/usr/bin/time -f "%e %U %S" -o $out/$name.time make $target TEST_P=$p >$out/$name.log 2>&1 || status=FAILED
		load1=$(cut -d' ' -f1-3 /proc/loadavg)
		read -r wall user sys <$out/$name.time
		echo "== make $target TEST_P=$p: $status, wall ${wall} s, CPU ${user} s user + ${sys} s sys; load average before $load0, after $load1"
		# The slowest packages: "ok  <tab>pkg<tab>12.345s".
		grep -E '^(ok|FAIL)[[:space:]]' $out/$name.log | awk -F'\t' '{ t = $3; sub(/s$/, "", t); printf "%9.1f s  %s %s\n", t, $1, $2 }' | sort -rn | head -10
		grep -E '^--- FAIL' $out/$name.log || true
	done
done
