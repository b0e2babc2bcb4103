#!/bin/sh
# Reading 统计报表 workbooks: 18 sheets (one per city) × the 181 counties ×
# 40 element columns, in the shape offices send (two-row merged headers
# joined to element names, units, the 甲/乙/1/2 row, space separators)
# against a plain single-header workbook of the same values, read in the
# same run (Go benchmark BenchmarkReadReport; reading and checking only, no
# write). Prints ms per workbook and the ratio.
set -eu
cd "$(dirname "$0")/.."
COUNT=${COUNT:-3}
out=$(go test -run '^$' -bench BenchmarkReadReport -benchtime 20x -count "$COUNT" ./internal/monitor/)
echo "$out" | grep Benchmark
median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
mp=$(echo "$out" | awk '/BenchmarkReadReport\/plain/ {print $3}' | median)
mr=$(echo "$out" | awk '/BenchmarkReadReport\/report/ {print $3}' | median)
awk -v mp="$mp" -v mr="$mr" 'BEGIN {
  printf "plain (single header): median %.0f ms per workbook (7,240 values)\n", mp/1e6
  printf "统计报表 shape:        median %.0f ms per workbook (7,240 values)\n", mr/1e6
  printf "ratio report/plain:   %.2f\n", mr/mp
}'
