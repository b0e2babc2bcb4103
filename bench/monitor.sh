#!/usr/bin/env bash
# Monitoring benchmarks, each against a plain baseline measured in the same run:
#   1. import of 1,047,560 values (52,378 villages × 20 elements, one month) from CSV
#      through `zhihui import`, on SQLite and PostgreSQL, with peak RSS; baseline:
#      parsing the same file and bulk-inserting its rows with store.Copy, no rollups;
#   2. analytics for one element × 12 months × all 181 counties over a large store
#      (BIG_MONTHS × 52,378 villages × 4 elements, loaded with store.Copy and
#      aggregated in bulk); baseline: a plain GROUP BY over the raw values;
#   3. writing one value (Go benchmark BenchmarkSaveOneValue).
# Env: ZHIHUI_BENCH_POSTGRES (default postgres://postgres@127.0.0.1:5432/test; "off" skips),
#      BIG_MONTHS (default 48 → 10.06 M values), BIG_ENGINES (default "sqlite postgres").
set -euo pipefail
cd "$(dirname "$0")/.."
PG=${ZHIHUI_BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432/test}
BIG_MONTHS=${BIG_MONTHS:-48}
BIG_ENGINES=${BIG_ENGINES:-sqlite postgres}
W=$(mktemp -d)
SCHEMAS=()
cleanup() {
	for s in "${SCHEMAS[@]}"; do psql "$PG" -qc "DROP SCHEMA IF EXISTS $s CASCADE" >/dev/null 2>&1 || true; done
	rm -rf "$W"
}
trap cleanup EXIT

go build -o "$W/zhihui" ./cmd/zhihui
go build -o "$W/mbench" ./bench/monitor
"$W/mbench" gen -out "$W/village.csv"

pgdsn() { # new schema on the PostgreSQL server, printed as a DSN
	local s="zhihui_bench_$$_$1"
	psql "$PG" -qc "DROP SCHEMA IF EXISTS $s CASCADE; CREATE SCHEMA $s" >/dev/null
	SCHEMAS+=("$s")
	case "$PG" in *\?*) echo "$PG&search_path=$s" ;; *) echo "$PG?search_path=$s" ;; esac
}

import_bench() { # engine, store flags…
	local engine=$1; shift
	"$W/mbench" elements "$@" 2>/dev/null
	local out
	out=$( { /usr/bin/time -f "TIME %e %M" "$W/zhihui" import "$W/village.csv" "$@" --log-level warn; } 2>&1 )
	echo "$out" | grep -v '^TIME' | sed 's/^/    /'
	local secs rss
	secs=$(echo "$out" | awk '/^TIME/ {print $2}')
	rss=$(echo "$out" | awk '/^TIME/ {print $3}')
	echo "$engine: import ${secs}s (whole command: start, read, validate, write values + aggregates + audit), peak RSS $((rss / 1024)) MB"
	IMPORT_SECS=$secs
}

baseline_bench() { # store flags…
	"$W/mbench" elements "$@" 2>/dev/null
	"$W/mbench" baseline -file "$W/village.csv" "$@" | awk -F'[= ]' '/baseline_seconds/ {print $2}'
}

echo "== import 1,047,560 values"
import_bench sqlite --data "$W/s-import"
b=$(baseline_bench --data "$W/s-base")
echo "sqlite: bare store.Copy of the same rows ${b}s; import/baseline = $(awk -v a="$IMPORT_SECS" -v b="$b" 'BEGIN {printf "%.1f", a/b}')"
if [ "$PG" != off ]; then
	import_bench postgres --db "$(pgdsn imp)"
	b=$(baseline_bench --db "$(pgdsn base)")
	echo "postgres: bare COPY of the same rows ${b}s; import/baseline = $(awk -v a="$IMPORT_SECS" -v b="$b" 'BEGIN {printf "%.1f", a/b}')"
fi

echo "== analytics over $((BIG_MONTHS * 52378 * 4)) values: 1 element × 12 months × 181 counties"
for engine in $BIG_ENGINES; do
	if [ "$engine" = sqlite ]; then flags=(--data "$W/s-big"); else [ "$PG" = off ] && continue; flags=(--db "$(pgdsn big)"); fi
	echo "$engine:"
	"$W/mbench" big -months "$BIG_MONTHS" "${flags[@]}" | sed 's/^/    /'
	rm -rf "$W/s-big"
done

echo "== one value written (16 aggregate cells + audit, one transaction)"
go test ./internal/monitor -run '^$' -bench BenchmarkSaveOneValue -benchtime 500x | grep '^Benchmark'
