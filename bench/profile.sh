#!/usr/bin/env bash
# profile.sh BENCH IMPL [pprof flags...]: runs one sub-benchmark
# (BenchmarkBENCH/impl=IMPL) as run.sh does (BENCHTIME, default 1s) under
# the CPU profiler and prints pprof's top 15 by cumulative time, the
# summaries BOUNDS.md keeps. The profile is out/cpu-BENCH-IMPL.prof (open it
# with `go tool pprof out/bench.test out/cpu-BENCH-IMPL.prof`).
#
#	bash bench/profile.sh Miss1KiB cachedhttp-memory
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: profile.sh BENCH IMPL [pprof flags...]" >&2; exit 2; }
bench=$1 impl=$2
shift 2
HERE=$(cd "$(dirname "$0")" && pwd)
cd "$HERE"
mkdir -p out
go test -c -o out/bench.test .
prof=out/cpu-$bench-$impl.prof
./out/bench.test -test.run '^$' -test.bench "^Benchmark$bench\$/^impl=$impl\$" -test.benchmem \
	-test.benchtime "${BENCHTIME:-1s}" -test.cpuprofile "$prof" | grep -E '^(Benchmark|--- FAIL|FAIL|panic)'
echo "# load: $(cut -d' ' -f1-3 /proc/loadavg)"
go tool pprof -top -cum -nodecount 15 "$@" out/bench.test "$prof" 2>/dev/null
