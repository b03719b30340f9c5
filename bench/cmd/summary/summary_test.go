package main

import (
	"strings"
	"testing"
)

// two rounds of a run.sh output, each scenario with the control, a peer
// and cachedhttp.
const sample = `# load: 1.50 1.20 1.00
cpu: Test CPU
BenchmarkHit1KiB/impl=cachedhttp-memory-2   100  3000 ns/op  3500 cpu-ns/op  3000 B/op  15 allocs/op
BenchmarkHit1KiB/impl=cachedhttp-bbolt-2    100  5000 ns/op  5500 cpu-ns/op  5000 B/op  24 allocs/op
BenchmarkHit1KiB/impl=gregjones-memory-2    100  10000 ns/op 11000 cpu-ns/op 8000 B/op  41 allocs/op
BenchmarkHit1KiB/impl=gregjones-leveldb-2   100  8000 ns/op  9000 cpu-ns/op  9000 B/op  46 allocs/op
BenchmarkHit1KiB/impl=control-2             100  48000 ns/op 50000 cpu-ns/op 7000 B/op  78 allocs/op
BenchmarkMiss1KiB/impl=cachedhttp-memory-2  100  50000 ns/op 60000 cpu-ns/op 20000 entries 90 live-MB 40000 B/op 200 allocs/op
BenchmarkMiss1KiB/impl=gregjones-memory-2   100  60000 ns/op 70000 cpu-ns/op 10000 entries 80 live-MB 70000 B/op 220 allocs/op
BenchmarkMiss1KiB/impl=control-2            100  40000 ns/op 45000 cpu-ns/op 50 live-MB 27000 B/op 180 allocs/op
# load: 2.50 1.40 1.10
BenchmarkHit1KiB/impl=cachedhttp-memory-2   100  3200 ns/op  3600 cpu-ns/op  3000 B/op  15 allocs/op
BenchmarkHit1KiB/impl=cachedhttp-bbolt-2    100  3000 ns/op  3300 cpu-ns/op  5000 B/op  24 allocs/op
BenchmarkHit1KiB/impl=gregjones-memory-2    100  9000 ns/op  10000 cpu-ns/op 8000 B/op  41 allocs/op
BenchmarkHit1KiB/impl=gregjones-leveldb-2   100  8000 ns/op  9000 cpu-ns/op  9000 B/op  46 allocs/op
BenchmarkHit1KiB/impl=control-2             100  48000 ns/op 50000 cpu-ns/op 7000 B/op  78 allocs/op
BenchmarkMiss1KiB/impl=cachedhttp-memory-2  100  50000 ns/op 60000 cpu-ns/op 20000 entries 90 live-MB 40000 B/op 200 allocs/op
BenchmarkMiss1KiB/impl=gregjones-memory-2   100  60000 ns/op 70000 cpu-ns/op 10000 entries 80 live-MB 70000 B/op 220 allocs/op
BenchmarkMiss1KiB/impl=control-2            100  40000 ns/op 45000 cpu-ns/op 50 live-MB 27000 B/op 180 allocs/op
`

func parsed(t *testing.T) *data {
	t.Helper()
	d := newData()
	if err := d.parse(strings.NewReader(sample)); err != nil {
		t.Fatal(err)
	}
	return d
}

func row(t *testing.T, rows []trow, scenario string) trow {
	t.Helper()
	for _, r := range rows {
		if r.scenario == scenario {
			return r
		}
	}
	t.Fatalf("no row %q", scenario)
	return trow{}
}

func TestTargetsCompareWithControlAndBestPeer(t *testing.T) {
	rows := parsed(t).targets("ns/op")

	hit := row(t, rows, "hit 1 KiB, memory")
	// Medians: ours 3.1 µs, best peer gregjones-leveldb 8 µs, control 48 µs.
	if hit.peer != "gregjones-leveldb 8.0 µs" || hit.ours != "3.1 µs" || hit.control != "48.0 µs" {
		t.Errorf("hit row = %+v", hit)
	}
	// 3.1/8 = 0.39: not 3× faster. Per round: 3.0/8 and 3.2/8.
	if hit.met != "**not met**" || hit.toPeer != "0.39× (0.38–0.40)" || hit.toControl != "0.06× (0.06–0.07)" {
		t.Errorf("hit row = %+v", hit)
	}
	if a := row(t, rows, "hit 1 KiB, memory (allocations)"); a.met != "**met**" || a.ours != "15 allocs" {
		t.Errorf("allocs row = %+v", a)
	}
	// bbolt is compared with leveldb by name: 4 µs / 8 µs = 0.5.
	if b := row(t, rows, "hit 1 KiB, bbolt"); b.met != "**met**" || b.peer != "gregjones-leveldb 8.0 µs" || b.toPeer != "0.50× (0.38–0.62)" {
		t.Errorf("bbolt row = %+v", b)
	}
	// 50/40 = 1.25 > 1.10.
	if m := row(t, rows, "miss 1 KiB, memory"); m.met != "**not met**" || m.toControl != "1.25× (1.25–1.25)" || m.toPeer != "0.83× (0.83–0.83)" {
		t.Errorf("miss row = %+v", m)
	}
	// Nothing measured: n/a, never met.
	if s := row(t, rows, "memory per stored 1 KiB entry (Go heap)"); s.met != "n/a" {
		t.Errorf("storage row = %+v", s)
	}
}

func TestUnmetAndLoads(t *testing.T) {
	d := parsed(t)
	un := strings.Join(d.unmet(), "; ")
	if !strings.Contains(un, "hit 1 KiB, memory") || !strings.Contains(un, "miss 1 KiB, memory") || strings.Contains(un, "bbolt") {
		t.Errorf("unmet = %q", un)
	}
	if got := d.loadRange(); got != "1.50–2.50 (median 2.00) over 2 rounds" {
		t.Errorf("loadRange = %q", got)
	}
	if lo, hi := d.runs(); lo != 2 || hi != 2 {
		t.Errorf("runs = %d, %d", lo, hi)
	}
}

func TestWideHasEveryImplementation(t *testing.T) {
	w := parsed(t).wide()
	header := strings.SplitN(w, "\n", 2)[0]
	if header != "| scenario | no cache | cachedhttp-memory | cachedhttp-bbolt | gregjones-memory | gregjones-leveldb |" {
		t.Errorf("header = %q", header)
	}
	if !strings.Contains(w, "| miss: entries held after the last run |  | 20000 |  | 10000 |  |") {
		t.Errorf("wide table:\n%s", w)
	}
}

// TestFloorsJoinTheirRows: with the floors measured, each target row names
// cachedhttp's ratio to its own floor, and each floor has an information
// row; a floor is never taken for the best peer.
func TestFloorsJoinTheirRows(t *testing.T) {
	floors := `BenchmarkHit1KiB/impl=floor-hit-2           100  2000 ns/op  2200 cpu-ns/op  3000 B/op  12 allocs/op
BenchmarkMiss1KiB/impl=cachedhttp-bbolt-2   100  72000 ns/op 90000 cpu-ns/op 20000 entries 10 live-MB 40000 B/op 150 allocs/op
BenchmarkMiss1KiB/impl=floor-keep-2         100  44000 ns/op 48000 cpu-ns/op 20000 entries 90 live-MB 10000 B/op 86 allocs/op
BenchmarkMiss1KiB/impl=floor-keep-bbolt-2   100  60000 ns/op 75000 cpu-ns/op 20000 entries 10 live-MB 20000 B/op 117 allocs/op
`
	d := newData()
	if err := d.parse(strings.NewReader(sample + floors)); err != nil {
		t.Fatal(err)
	}
	rows := d.targets("ns/op")
	// Ours 3.1 µs (median of 3.0 and 3.2) against the hit floor's 2.0 µs.
	if hit := row(t, rows, "hit 1 KiB, memory"); hit.ours != "3.1 µs (1.55× the hit floor, 2.0 µs)" || hit.peer != "gregjones-leveldb 8.0 µs" {
		t.Errorf("hit row = %+v", hit)
	}
	if f := row(t, rows, "hit 1 KiB, the hit floor (SHA-256 key, a map, a header copy with Age, the kept bytes)"); f.ours != "2.0 µs" || f.target != "(info)" || f.met != "" {
		t.Errorf("hit floor row = %+v", f)
	}
	if m := row(t, rows, "miss 1 KiB, memory"); m.ours != "50.0 µs (1.14× the keep floor, 44.0 µs)" {
		t.Errorf("memory miss row = %+v", m)
	}
	// The bbolt miss is read against the bbolt keep floor, not the memory one.
	if b := row(t, rows, "miss 1 KiB, bbolt"); b.ours != "72.0 µs (1.20× the bbolt keep floor, 60.0 µs)" || b.met != "**not met**" {
		t.Errorf("bbolt miss row = %+v", b)
	}
	if f := row(t, rows, "miss 1 KiB, the bbolt keep floor (the keep floor written behind into a bbolt file in batches)"); f.ours != "60.0 µs" || f.target != "(info)" {
		t.Errorf("bbolt keep floor row = %+v", f)
	}
}
