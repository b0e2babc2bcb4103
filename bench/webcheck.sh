#!/usr/bin/env bash
# Website inspection benchmark.
#
# Serves a generated government website on 127.0.0.1 (10,000+ pages,
# 400,000+ links, planted broken links, redirects, a redirect loop, GBK pages
# with and without a charset label, dated column lists with stale and empty
# columns), then in the same run:
#   1. baseline: fetch every page with plain net/http and discard the body;
#   2. `zhihui inspect` over the whole site with the per-host limit lifted;
#   3. compares the inspection with the generator's ground truth.
# Prints pages/s for both, their ratio, peak RSS and the comparison; exits
# non-zero when a planted problem is missed or a false positive appears.
set -euo pipefail
cd "$(dirname "$0")/.."

PAGES=${PAGES:-10000}
WORKERS=${WORKERS:-32}
OUT=bench/out/webcheck
rm -rf "$OUT"
mkdir -p "$OUT"

go build -o "$OUT/zhihui" ./cmd/zhihui
go build -o "$OUT/webchecksite" ./bench/webchecksite

"$OUT/webchecksite" serve -pages "$PAGES" -out "$OUT" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do
	[ -s "$OUT/addr.txt" ] && break
	sleep 0.1
done
URL=$(cat "$OUT/addr.txt")
echo "site: $URL  cores: $(nproc)  workers: $WORKERS"

# Warm the server once so neither run pays for first-touch page faults.
"$OUT/webchecksite" baseline -urls "$OUT/urls.txt" -workers "$WORKERS" > /dev/null
"$OUT/webchecksite" baseline -urls "$OUT/urls.txt" -workers "$WORKERS" > "$OUT/baseline.json"

/usr/bin/time -v "$OUT/zhihui" inspect "$URL" --allow-private --max-pages 100000 \
	--workers "$WORKERS" --per-host "$WORKERS" --rate -1 --probes 1 --json \
	> "$OUT/result.json" 2> "$OUT/time.txt" || { cat "$OUT/time.txt"; exit 1; }
RSS=$(awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}' "$OUT/time.txt")

"$OUT/webchecksite" compare -truth "$OUT/truth.json" -result "$OUT/result.json" \
	-baseline "$OUT/baseline.json" -rss-kb "$RSS"
