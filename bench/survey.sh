#!/usr/bin/env bash
# E-commerce survey at the size of a real register (issue: 1,000,000
# enterprises), on SQLite and PostgreSQL, each step against a plain baseline
# measured in the same run on the same store:
#   import  ecstat.ImportRegister of the CSV register (parse, credit-code
#           checks, units, duplicates, enterprises + their birth records,
#           audit) — baseline: parse the same file and bulk-insert its rows
#           into a bare table (no checks, no history);
#   draw    stratify, Neyman allocation for a target CV, draw, store design,
#           strata, frame totals and sample — baseline: a GROUP BY of the
#           register by stratum (count, revenue, revenue²);
#   estimates with standard errors for every county × industry section (and
#           by county, by section, and every breakdown at once: province,
#           cities, counties, sections and county × section from one read)
#           — baseline: a GROUP BY of the weighted values over the same
#           respondents.
# Wall-clock and process CPU time are printed with their ratios to the
# baseline (PostgreSQL's own CPU is not in the process figure, so there only
# the wall ratio); read them with the load average printed at the end.
# CPUPROFILE=FILE writes a pprof CPU profile of each engine's run to
# FILE.ENGINE (go tool pprof -top FILE.ENGINE).
# Env: N (default 1000000), RUNS (default 3), ENGINES (default "sqlite postgres"),
#      ZHIHUI_BENCH_POSTGRES (default postgres://postgres@127.0.0.1:5432/test).
set -euo pipefail
cd "$(dirname "$0")/.."
PG=${ZHIHUI_BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432/test}
N=${N:-1000000}
RUNS=${RUNS:-3}
ENGINES=${ENGINES:-sqlite postgres}
export PGOPTIONS='--client-min-messages=warning'
W=$(mktemp -d)
S="zhihui_survey_bench_$$"
cleanup() {
	psql "$PG" -qc "DROP SCHEMA IF EXISTS $S CASCADE" >/dev/null 2>&1 || true
	rm -rf "$W"
}
trap cleanup EXIT
go build -o "$W/survey" ./bench/survey
"$W/survey" gen -n "$N" -out "$W/register.csv"
for engine in $ENGINES; do
	echo "== $engine"
	if [ "$engine" = sqlite ]; then
		flags="--data $W/sqlite"
	else
		psql "$PG" -qc "DROP SCHEMA IF EXISTS $S CASCADE; CREATE SCHEMA $S" >/dev/null
		case "$PG" in *\?*) flags="--db $PG&search_path=$S" ;; *) flags="--db $PG?search_path=$S" ;; esac
	fi
	prof=""
	if [ -n "${CPUPROFILE:-}" ]; then prof="-cpuprofile $CPUPROFILE.$engine"; fi
	# shellcheck disable=SC2086
	GOMAXPROCS=2 "$W/survey" run -file "$W/register.csv" -runs "$RUNS" $flags $prof
done
echo "== estimator alone, in memory: 200,000 respondents, 1,440 strata, province + 18 cities + 180 counties + 20 sections"
go test -c -o "$W/survey-est.test" ./internal/ecstat/survey
GOMAXPROCS=2 "$W/survey-est.test" -test.run '^$' -test.bench 'Estimate200k$|PlainSum200k$' -test.benchtime "${RUNS}x" -test.benchmem | tee "$W/est.txt"
awk '/BenchmarkEstimate200k/ {e=$3} /BenchmarkPlainSum200k/ {p=$3} END { if (p > 0) printf "estimate / plain weighted sums: %.1f×\n", e / p }' "$W/est.txt"
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
