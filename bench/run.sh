#!/usr/bin/env bash
# run.sh COUNT: runs the benchmark suite COUNT times (default 5) in
# interleaved rounds (every benchmark once per round, the scenarios of the
# targets in one process per round, all appended to one file, so that drift
# of the machine hits every implementation alike), then prints benchstat
# tables and the tables of cmd/summary (medians: the targets with the
# no-cache control, the best peer and cachedhttp's ratios to both; the same
# on CPU time; every implementation side by side), and rewrites RESULTS.md.
#
# Called by the library's `make bench` as `bash bench/run.sh $(BENCHCOUNT)`
# with the services' environment exported (CACHEDHTTP_REDIS_URL enables the
# redis variant). The timed scenarios run with Go's default benchtime (1s):
# a miss benchmark keeps one cache through its runs, so the cache holds
# what a second of misses stored (tens of thousands of entries) and the
# heap is that of a client that has been running; a shorter benchtime
# measures a nearly empty cache and flatters the miss. `make bench-smoke`
# (-benchtime 1x) only checks that every benchmark runs.
#
# Knobs (environment): BENCHTIME (default 1s) for the timed scenarios,
# OTHER_ROUNDS (default 3) caps the rounds of the benchmarks whose targets
# are not in the table of issue 11 (8 MiB hits, parallel hits, concurrent
# misses, store rate), STORAGE_ROUNDS (default 3) those of the slow storage
# benchmark (10,000 entries per store; bytes, not time), BENCH_OUT names the raw output file,
# RESULTS=0 leaves RESULTS.md alone, BENCH_FILTER (a regexp) runs only the
# benchmarks it matches.
set -euo pipefail

COUNT=${1:-5}
BENCHTIME=${BENCHTIME:-1s}
OTHER_ROUNDS=${OTHER_ROUNDS:-3}
STORAGE_ROUNDS=${STORAGE_ROUNDS:-3}
FILTER=${BENCH_FILTER:-.}
HERE=$(cd "$(dirname "$0")" && pwd)
cd "$HERE"
mkdir -p out
stamp=$(date -u +%Y%m%dT%H%M%SZ)
OUT=${BENCH_OUT:-out/bench-$stamp.txt}
: >"$OUT"

# The library is replaced by ../: when its go.mod gains a dependency, this
# module's go.sum needs it too.
go mod tidy
go test -c -o out/bench.test .

# group NAME-REGEXP ARGS...: runs the top-level benchmarks matching the
# regexp once (if FILTER allows), appending to $OUT.
group() {
	local re=$1
	shift
	local names
	names=$(./out/bench.test -test.list "$re" | grep '^Benchmark' | grep -E -- "$FILTER" || true)
	[ -n "$names" ] || return 0
	names="^($(echo "$names" | paste -sd '|'))\$"
	./out/bench.test -test.run '^$' -test.bench "$names" -test.benchmem "$@" 2>&1 | tee -a "$OUT" | grep -E '^(Benchmark|---|    |FAIL|panic)' || true
}

case $BENCHTIME in
*x) ;;
*ms | *us | *ns) echo "run.sh: BENCHTIME=$BENCHTIME is shorter than 1s: misses then measure a nearly empty cache (quick checks only)" >&2 ;;
esac

for round in $(seq 1 "$COUNT"); do
	load=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo "?")
	echo "== round $round/$COUNT ($(date -u +%H:%M:%S), load $load)"
	echo "# load: $load" >>"$OUT" # not a benchstat configuration line (it would split the tables)
	# The scenarios of the targets table, in one process.
	group '^Benchmark(Hit1KiB|Hit256KiB|Miss1KiB|Revalidate1KiB)$' -test.benchtime "$BENCHTIME"
	if [ "$round" -le "$OTHER_ROUNDS" ]; then
		group '^Benchmark(Hit8MiB|Hit8MiBInto)$' -test.benchtime "$BENCHTIME"
		group '^BenchmarkHitParallel1KiB$' -test.benchtime "$BENCHTIME" -test.cpu 1,2
		group '^BenchmarkConcurrentMiss100$' -test.benchtime 10x
		group '^BenchmarkStoreRate1KiB$' -test.benchtime 2000x
	fi
	if [ "$round" -le "$STORAGE_ROUNDS" ]; then
		group '^BenchmarkStorage1KiB$' -test.benchtime 1x -entries 10000
	fi
done
if grep -qE '^(--- FAIL|FAIL|panic)' "$OUT"; then
	echo "run.sh: some benchmarks failed; see $OUT" >&2
	status=1
else
	status=0
fi

echo
echo "== benchstat ($OUT)"
BENCHSTAT=$(go env GOPATH)/bin/benchstat
if [ -x "$BENCHSTAT" ]; then
	"$BENCHSTAT" "$OUT" || true
else
	go run golang.org/x/perf/cmd/benchstat@latest "$OUT" || true
fi

echo
echo "== summary (medians of $COUNT rounds, BENCHTIME=$BENCHTIME)"
args=()
if [ "${RESULTS:-1}" != 0 ]; then
	args=(-results RESULTS.md -cmd "bash bench/run.sh $COUNT (BENCHTIME=$BENCHTIME OTHER_ROUNDS=$OTHER_ROUNDS STORAGE_ROUNDS=$STORAGE_ROUNDS${BENCH_FILTER:+ BENCH_FILTER=$BENCH_FILTER})")
	cp "$OUT" results.txt
fi
go run ./cmd/summary "${args[@]}" "$OUT"
# What bounds the targets that are not met (profiles), kept by hand.
if [ "${RESULTS:-1}" != 0 ] && [ -f BOUNDS.md ]; then
	{ echo; cat BOUNDS.md; } >> RESULTS.md
fi
exit $status
