#!/usr/bin/env bash
# Availability probing benchmark: 1,000 local websites (one listener each
# on 127.0.0.1; 20–300 ms responses, 2% answering 503, 1% hanging past the
# 15 s timeout) probed by the production probe loop every INTERVAL for
# DURATION, results written to the store. Prints the required and achieved
# probe rates, start lag, the gaps each site saw between probes, and a
# plain net/http sweep of the same sites as the baseline. Exits non-zero
# when the loop falls behind (under 95% of due probes, or a site never
# probed).
#
#   SITES=1000 INTERVAL=2m DURATION=4m bench/webcheckprobe.sh
#   DB=postgres://postgres@127.0.0.1:5432/test bench/webcheckprobe.sh
set -euo pipefail
cd "$(dirname "$0")/.."

SITES=${SITES:-1000}
INTERVAL=${INTERVAL:-2m}
DURATION=${DURATION:-4m}
CONC=${CONC:-64}
OUT=bench/out/webcheckprobe
mkdir -p "$OUT"
go build -o "$OUT/probefarm" ./bench/probefarm
/usr/bin/time -v "$OUT/probefarm" -sites "$SITES" -interval "$INTERVAL" -duration "$DURATION" \
	-concurrency "$CONC" ${DB:+-db "$DB"} 2> "$OUT/time.txt" || { cat "$OUT/time.txt"; exit 1; }
awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); printf "peak RSS:             %.1f MB (farm and prober in one process)\n", $2/1024}
	/Percent of CPU this job got/ {gsub(/ /, "", $2); printf "CPU:                  %s of one core (farm and prober)\n", $2}' "$OUT/time.txt"
