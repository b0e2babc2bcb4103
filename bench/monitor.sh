#!/usr/bin/env bash
# Monitoring benchmarks, each against a plain baseline measured in the same run:
#   1. import of 1,047,560 values (52,378 villages × 20 elements, one month) from CSV
#      through `zhihui import` (start, read, validate, write values + aggregates +
#      audit, commit), on SQLite and PostgreSQL, with peak RSS; baseline: parsing the
#      same file and bulk-inserting its rows with store.Copy, no rollups. Each is run
#      RUNS times on a fresh store; the best and the median are printed.
#   2. analytics for one element × 12 months × all 181 counties over a large store
#      (BIG_MONTHS × 52,378 villages × 4 elements, loaded with store.Copy and
#      aggregated in bulk by monitor.Rebuild); baseline: a plain GROUP BY over the
#      raw values of the same element and months.
#   3. writing one value (Go benchmark BenchmarkSaveOneValue, 3 runs of 500 writes);
#      baseline: one transaction upserting the raw value row alone, same store, same run.
# Env: ZHIHUI_BENCH_POSTGRES (default postgres://postgres@127.0.0.1:5432/test; "off" skips),
#      RUNS (default 3), BIG_MONTHS (default 48: 10.06 M values; 478: 100.1 M),
#      BIG_ENGINES (default "sqlite postgres"; "" skips part 2).
set -euo pipefail
cd "$(dirname "$0")/.."
PG=${ZHIHUI_BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432/test}
RUNS=${RUNS:-3}
BIG_MONTHS=${BIG_MONTHS:-48}
BIG_ENGINES=${BIG_ENGINES-sqlite postgres}
export PGOPTIONS='--client-min-messages=warning'
W=$(mktemp -d)
touch "$W/schemas" # PostgreSQL schemas made by fresh (which runs in a subshell)
cleanup() {
	while read -r s; do psql "$PG" -qc "DROP SCHEMA IF EXISTS $s CASCADE" >/dev/null 2>&1 || true; done <"$W/schemas"
	rm -rf "$W"
}
trap cleanup EXIT

go build -o "$W/zhihui" ./cmd/zhihui
go build -o "$W/mbench" ./bench/monitor
"$W/mbench" gen -out "$W/village.csv"

n=0
fresh() { # engine → store flags of a new, empty store
	n=$((n + 1))
	if [ "$1" = sqlite ]; then
		echo "--data $W/s$n"
	else
		local s="zhihui_bench_$$_$n"
		psql "$PG" -qc "DROP SCHEMA IF EXISTS $s CASCADE; CREATE SCHEMA $s" >/dev/null
		echo "$s" >>"$W/schemas"
		case "$PG" in *\?*) echo "--db $PG&search_path=$s" ;; *) echo "--db $PG?search_path=$s" ;; esac
	fi
}
drop() { # store flags → remove the store
	case "$1" in --data*) rm -rf "${1#--data }" ;; --db*) psql "$PG" -qc "DROP SCHEMA IF EXISTS ${1##*search_path=} CASCADE" >/dev/null ;; esac
}
stats() { sort -g | awk '{a[NR]=$1} END {printf "best %.2fs, median %.2fs", a[1], a[int((NR+1)/2)]}'; }

engines="sqlite"
[ "$PG" != off ] && engines="sqlite postgres"
echo "== import 1,047,560 values (best and median of $RUNS runs, each on a fresh store)"
for engine in $engines; do
	: >"$W/imp" ; : >"$W/base" ; : >"$W/rss"
	for run in $(seq "$RUNS"); do
		flags=$(fresh "$engine")
		# shellcheck disable=SC2086
		"$W/mbench" elements $flags
		# shellcheck disable=SC2086
		out=$( { /usr/bin/time -f "TIME %e %M" "$W/zhihui" import "$W/village.csv" $flags --log-level warn; } 2>&1 )
		[ "$run" = 1 ] && echo "$out" | grep -v '^TIME' | sed 's/^/    /'
		echo "$out" | awk '/^TIME/ {print $2}' >>"$W/imp"
		echo "$out" | awk '/^TIME/ {print $3}' >>"$W/rss"
		drop "$flags"
		flags=$(fresh "$engine")
		# shellcheck disable=SC2086
		"$W/mbench" elements $flags
		# shellcheck disable=SC2086
		"$W/mbench" baseline -file "$W/village.csv" $flags | awk -F'[= ]' '/baseline_seconds/ {print $2}' >>"$W/base"
		drop "$flags"
	done
	bi=$(sort -g "$W/imp" | head -1); bb=$(sort -g "$W/base" | head -1)
	echo "$engine: zhihui import: $(stats <"$W/imp"); peak RSS $(( $(sort -g "$W/rss" | tail -1) / 1024 )) MB"
	echo "$engine: bare store.Copy of the same rows: $(stats <"$W/base")"
	echo "$engine: import/baseline (best vs best) = $(awk -v a="$bi" -v b="$bb" 'BEGIN {printf "%.1f", a/b}')"
done

if [ -n "$BIG_ENGINES" ]; then
	echo "== analytics over $((BIG_MONTHS * 52378 * 4)) values: 1 element × 12 months × 181 counties"
	for engine in $BIG_ENGINES; do
		[ "$engine" = postgres ] && [ "$PG" = off ] && continue
		flags=$(fresh "$engine")
		echo "$engine:"
		# shellcheck disable=SC2086
		"$W/mbench" big -months "$BIG_MONTHS" $flags | sed 's/^/    /'
		drop "$flags"
	done
fi

echo "== one value written (16 aggregate cells + audit, one transaction)"
go test ./internal/monitor -run '^$' -bench BenchmarkSaveOneValue -benchtime 500x -count 3 | grep '^Benchmark' | tee "$W/one"
# per store and case: range of the three runs in ms, and the median against the baseline's median
awk '{split($1, p, "/"); k = p[2] "/" p[3]; sub(/-[0-9]+$/, "", k); v[k] = v[k] " " $3 / 1e6}
END {
	for (k in v) { n = split(substr(v[k], 2), a, " "); for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j] < a[j-1]; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t } med[k] = a[int((n + 1) / 2)]; lo[k] = a[1]; hi[k] = a[n] }
	for (k in v) { split(k, q, "/"); if (q[2] != "baseline") printf "%s %s: %.2f–%.2f ms, median %.2f ms = %.1f× the baseline (%.2f ms)\n", q[1], q[2], lo[k], hi[k], med[k], med[k] / med[q[1] "/baseline"], med[q[1] "/baseline"] }
}' "$W/one" | sort
