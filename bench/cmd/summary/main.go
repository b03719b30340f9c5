// Command summary reads the output of the bench module's benchmarks (go
// test -bench, any number of runs appended to one or more files) and prints
// a markdown table: for each scenario of issue 5, cachedhttp's best variant,
// the best peer, their ratio, the floor, the ratio to the floor, the target
// and whether it is met. Values are medians over the runs.
//
// Usage:
//
//	go run ./cmd/summary [-results RESULTS.md -cmd 'bash bench/run.sh 3'] FILE...
//
// With -results it also writes the file RESULTS.md keeps: the date, the Go
// version, the CPU, the command, the summary and every median.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"
)

func main() {
	results := flag.String("results", "", "also write this markdown file (RESULTS.md)")
	command := flag.String("cmd", "", "the command that produced the input, for -results")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: summary [-results FILE -cmd CMD] BENCH-OUTPUT...")
		os.Exit(2)
	}
	d := newData()
	for _, name := range flag.Args() {
		f, err := os.Open(name)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		err = d.parse(f)
		f.Close()
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
			os.Exit(1)
		}
	}
	summary := d.summary()
	fmt.Print(summary)
	if *results != "" {
		var b strings.Builder
		fmt.Fprintf(&b, "# Benchmark results\n\n")
		fmt.Fprintf(&b, "- date: %s\n", time.Now().UTC().Format("2006-01-02 15:04 MST"))
		fmt.Fprintf(&b, "- Go: %s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
		fmt.Fprintf(&b, "- CPU: %s (%d logical CPUs)\n", cpuModel(d.cpu), runtime.NumCPU())
		if la, err := os.ReadFile("/proc/loadavg"); err == nil {
			fmt.Fprintf(&b, "- load average when written: %s (other sessions share this machine: wall times are noisy; the [CPU time] rows use the process's CPU time per op)\n", strings.Join(strings.Fields(string(la))[:3], " "))
		}
		if *command != "" {
			fmt.Fprintf(&b, "- command: `%s`\n", *command)
		}
		fmt.Fprintf(&b, "- runs per benchmark: %d (medians below; `benchstat` on the raw output gives spreads)\n\n", d.maxRuns())
		b.WriteString("## Summary\n\n")
		b.WriteString(summary)
		b.WriteString("\n## Every median\n\n")
		b.WriteString(d.all())
		if err := os.WriteFile(*results, []byte(b.String()), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
}

// key names one benchmark result: BenchmarkHit1KiB/impl=cachedhttp-memory-2
// is {Hit1KiB, cachedhttp-memory, 2}.
type key struct {
	bench string
	impl  string
	procs int
}

type data struct {
	vals  map[key]map[string][]float64
	order []key
	cpu   string
}

func newData() *data { return &data{vals: map[key]map[string][]float64{}} }

var nameRE = regexp.MustCompile(`^Benchmark([^/\s]+)/impl=(\S+?)(?:-(\d+))?$`)

func (d *data) parse(r io.Reader) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if c, ok := strings.CutPrefix(line, "cpu: "); ok {
			d.cpu = strings.TrimSpace(c)
			continue
		}
		f := strings.Fields(line)
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		m := nameRE.FindStringSubmatch(f[0])
		if m == nil {
			continue
		}
		if _, err := strconv.Atoi(f[1]); err != nil {
			continue
		}
		k := key{bench: m[1], impl: m[2], procs: 1}
		if m[3] != "" {
			k.procs, _ = strconv.Atoi(m[3])
		}
		if d.vals[k] == nil {
			d.vals[k] = map[string][]float64{}
			d.order = append(d.order, k)
		}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return fmt.Errorf("%q: %v", line, err)
			}
			d.vals[k][f[i+1]] = append(d.vals[k][f[i+1]], v)
		}
	}
	return sc.Err()
}

func (d *data) maxRuns() int {
	n := 0
	for _, u := range d.vals {
		n = max(n, len(u["ns/op"]))
	}
	return n
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// get returns the median of unit for bench and impl. procs 0 means the
// largest GOMAXPROCS measured (the machine's default for every benchmark
// but the parallel one).
func (d *data) get(bench, impl, unit string, procs int) (float64, bool) {
	best := -1
	var vals []float64
	for k, u := range d.vals {
		if k.bench != bench || k.impl != impl {
			continue
		}
		if procs > 0 && k.procs != procs {
			continue
		}
		if v, ok := u[unit]; ok && k.procs > best {
			best, vals = k.procs, v
		}
	}
	if vals == nil {
		return math.NaN(), false
	}
	return median(vals), true
}

func (d *data) impls(bench string) []string {
	seen := map[string]bool{}
	var out []string
	for _, k := range d.order {
		if k.bench == bench && !seen[k.impl] {
			seen[k.impl] = true
			out = append(out, k.impl)
		}
	}
	return out
}

func isPeer(impl string) bool {
	return strings.HasPrefix(impl, "gregjones-") || strings.HasPrefix(impl, "bartventer-")
}

func isOurs(impl string) bool { return strings.HasPrefix(impl, "cachedhttp-") }

// pick returns the impl among those accepted whose value is lowest (or
// highest with high), and the value.
func (d *data) pick(bench, unit string, procs int, accept func(string) bool, high bool) (string, float64) {
	bestName, best := "", math.NaN()
	for _, im := range d.impls(bench) {
		if !accept(im) {
			continue
		}
		v, ok := d.get(bench, im, unit, procs)
		if !ok {
			continue
		}
		if bestName == "" || (!high && v < best) || (high && v > best) {
			bestName, best = im, v
		}
	}
	return bestName, best
}

func only(name string) func(string) bool { return func(s string) bool { return s == name } }

// row is one line of the summary.
type row struct {
	scenario        string
	ours, peer      string // "name value"
	ratio           string
	floor           string
	toFloor, target string
	met             string
}

func fmtVal(v float64, unit string) string {
	if math.IsNaN(v) {
		return "n/a"
	}
	switch unit {
	case "ns/op", "cpu-ns/op":
		switch {
		case v >= 1e6:
			return fmt.Sprintf("%.2f ms", v/1e6)
		case v >= 1e3:
			return fmt.Sprintf("%.1f µs", v/1e3)
		default:
			return fmt.Sprintf("%.0f ns", v)
		}
	case "allocs/op":
		return fmt.Sprintf("%.0f allocs", v)
	case "B/entry", "disk-B/entry":
		return fmt.Sprintf("%.0f B", v)
	case "entries/s":
		return fmt.Sprintf("%.0f/s", v)
	case "alloc/body", "origin/op", "x":
		return fmt.Sprintf("%.3g", v)
	}
	return fmt.Sprintf("%.4g %s", v, unit)
}

func named(name string, v float64, unit string) string {
	if name == "" {
		return "n/a"
	}
	return fmt.Sprintf("%s %s", name, fmtVal(v, unit))
}

func ratio(a, b float64) string {
	if math.IsNaN(a) || math.IsNaN(b) || b == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.2f×", a/b)
}

func yes(ok bool, have ...float64) string {
	for _, v := range have {
		if math.IsNaN(v) {
			return "n/a"
		}
	}
	if ok {
		return "**yes**"
	}
	return "**NO**"
}

func (d *data) summary() string {
	var rows []row
	all := func(string) bool { return true }
	_ = all

	// Time rows come twice: by wall time (ns/op, what the targets name)
	// and by the process's CPU time per op (cpu-ns/op), which a loaded
	// machine distorts less.
	for _, unit := range []string{"ns/op", "cpu-ns/op"} {
		tag := ""
		if unit == "cpu-ns/op" {
			tag = " [CPU time]"
		}
		if _, ok := d.get("Hit1KiB", "cachedhttp-memory", unit, 0); !ok && unit != "ns/op" {
			continue
		}
		// Hit 1 KiB, memory.
		ch, _ := d.get("Hit1KiB", "cachedhttp-memory", unit, 0)
		pn, pv := d.pick("Hit1KiB", unit, 0, isPeer, false)
		fl, _ := d.get("Hit1KiB", "floor", unit, 0)
		fcl, _ := d.get("Hit1KiB", "floor-client", unit, 0)
		rows = append(rows, row{"hit 1 KiB, memory" + tag, named("cachedhttp-memory", ch, unit), named(pn, pv, unit),
			"peer/ours " + ratio(pv, ch), fmt.Sprintf("floor %s (behind client.Do %s)", fmtVal(fl, unit), fmtVal(fcl, unit)),
			ratio(ch, fl) + " (" + ratio(ch, fcl) + " of client floor)", "≥3× faster than best peer", yes(pv/ch >= 3, ch, pv)})
		if unit == "ns/op" {
			ca, _ := d.get("Hit1KiB", "cachedhttp-memory", "allocs/op", 0)
			pan, pav := d.pick("Hit1KiB", "allocs/op", 0, isPeer, false)
			fa, _ := d.get("Hit1KiB", "floor", "allocs/op", 0)
			fca, _ := d.get("Hit1KiB", "floor-client", "allocs/op", 0)
			rows = append(rows, row{"hit 1 KiB, memory (allocs)", named("cachedhttp-memory", ca, "allocs/op"), named(pan, pav, "allocs/op"),
				"peer/ours " + ratio(pav, ca), fmt.Sprintf("floor %s (behind client.Do %s)", fmtVal(fa, "allocs/op"), fmtVal(fca, "allocs/op")),
				ratio(ca, fa), "≤15 allocs/op", yes(ca <= 15, ca)})
		}
		// Hit 1 KiB, bbolt vs leveldb.
		ch, _ = d.get("Hit1KiB", "cachedhttp-bbolt", unit, 0)
		pv, _ = d.get("Hit1KiB", "gregjones-leveldb", unit, 0)
		fl, _ = d.get("Hit1KiB", "floor-bboltview", unit, 0)
		rows = append(rows, row{"hit 1 KiB, bbolt vs leveldbcache" + tag, named("cachedhttp-bbolt", ch, unit), named("gregjones-leveldb", pv, unit),
			"peer/ours " + ratio(pv, ch), "bbolt View " + fmtVal(fl, unit), ratio(ch, fl), "≥2× faster than gregjones-leveldb", yes(pv/ch >= 2, ch, pv)})
		// Hit 256 KiB.
		on, ov := d.pick("Hit256KiB", unit, 0, isOurs, false)
		pn, pv = d.pick("Hit256KiB", unit, 0, isPeer, false)
		fl, _ = d.get("Hit256KiB", "floor", unit, 0)
		fc, _ := d.get("Hit256KiB", "floor-clone", unit, 0)
		fb, _ := d.get("Hit256KiB", "floor-bboltview", unit, 0)
		rows = append(rows, row{"hit 256 KiB" + tag, named(on, ov, unit), named(pn, pv, unit), "peer/ours " + ratio(pv, ov),
			fmt.Sprintf("floor %s (clone %s, bbolt View %s)", fmtVal(fl, unit), fmtVal(fc, unit), fmtVal(fb, unit)),
			ratio(ov, fl), "≤1.2× floor (1)", yes(ov <= 1.2*fl, ov, fl)})
		if bv, ok := d.get("Hit256KiB", "cachedhttp-bbolt", unit, 0); ok {
			rows = append(rows, row{"hit 256 KiB, bbolt" + tag, named("cachedhttp-bbolt", bv, unit), named(pn, pv, unit), "peer/ours " + ratio(pv, bv),
				"bbolt View " + fmtVal(fb, unit), ratio(bv, fb), "(info)", ""})
		}
		// Misses.
		for _, m := range []struct {
			im    string
			limit float64
		}{{"cachedhttp-memory", 1.10}, {"cachedhttp-bbolt", 1.25}, {"cachedhttp-filesystem", 0}, {"cachedhttp-redis", 0}} {
			ch, ok := d.get("Miss1KiB", m.im, unit, 0)
			if !ok && m.limit == 0 {
				continue
			}
			pn, pv := d.pick("Miss1KiB", unit, 0, isPeer, false)
			ctl, _ := d.get("Miss1KiB", "control", unit, 0)
			target, met := fmt.Sprintf("≤%.2f× control", m.limit), yes(ch <= m.limit*ctl, ch, ctl)
			if m.limit == 0 {
				target, met = "(info)", ""
			}
			rows = append(rows, row{"miss 1 KiB, " + strings.TrimPrefix(m.im, "cachedhttp-") + tag, named(m.im, ch, unit), named(pn, pv, unit),
				"peer/ours " + ratio(pv, ch), "control " + fmtVal(ctl, unit), ratio(ch, ctl), target, met})
		}
		// Revalidation.
		for _, im := range []string{"cachedhttp-memory", "cachedhttp-bbolt"} {
			ch, _ := d.get("Revalidate1KiB", im, unit, 0)
			pn, pv := d.pick("Revalidate1KiB", unit, 0, isPeer, false)
			ctl, _ := d.get("Revalidate1KiB", "control", unit, 0)
			rows = append(rows, row{"revalidation (304), " + strings.TrimPrefix(im, "cachedhttp-") + tag, named(im, ch, unit), named(pn, pv, unit),
				"peer/ours " + ratio(pv, ch), "control " + fmtVal(ctl, unit), ratio(ch, ctl), "≤1.15× control", yes(ch <= 1.15*ctl, ch, ctl)})
		}
	}
	// Hit 8 MiB allocations.
	{
		on, ov := d.pick("Hit8MiBInto", "alloc/body", 0, isOurs, false)
		pn, pv := d.pick("Hit8MiBInto", "alloc/body", 0, isPeer, false)
		fl, _ := d.get("Hit8MiBInto", "floor", "alloc/body", 0)
		rows = append(rows, row{"hit 8 MiB, bytes allocated / body (caller reads into its buffer)", named(on, ov, "alloc/body"), named(pn, pv, "alloc/body"),
			"", "floor " + fmtVal(fl, "alloc/body"), "", "≤1.1× body", yes(ov <= 1.1, ov)})
		if mv, ok := d.get("Hit8MiBInto", "cachedhttp-bbolt", "alloc/body", 0); ok && on != "cachedhttp-bbolt" {
			rows = append(rows, row{"hit 8 MiB, bbolt, alloc / body (into)", named("cachedhttp-bbolt", mv, "alloc/body"), "", "", "", "", "≤1.1× body", yes(mv <= 1.1, mv)})
		}
		on2, ov2 := d.pick("Hit8MiB", "alloc/body", 0, isOurs, false)
		pn2, pv2 := d.pick("Hit8MiB", "alloc/body", 0, isPeer, false)
		fl2, _ := d.get("Hit8MiB", "floor", "alloc/body", 0)
		rows = append(rows, row{"hit 8 MiB, alloc / body with the caller's io.ReadAll", named(on2, ov2, "alloc/body"), named(pn2, pv2, "alloc/body"),
			"", "floor " + fmtVal(fl2, "alloc/body"), ratio(ov2, fl2), "(info: io.ReadAll alone allocates ≈2× body)", ""})
		ot, _ := d.get("Hit8MiB", on2, "ns/op", 0)
		ptn, ptv := d.pick("Hit8MiB", "ns/op", 0, isPeer, false)
		ft, _ := d.get("Hit8MiB", "floor", "ns/op", 0)
		rows = append(rows, row{"hit 8 MiB (time)", named(on2, ot, "ns/op"), named(ptn, ptv, "ns/op"), "peer/ours " + ratio(ptv, ot),
			"floor " + fmtVal(ft, "ns/op"), ratio(ot, ft), "(info)", ""})
	}
	// Parallel scaling.
	for _, im := range []string{"cachedhttp-memory", "cachedhttp-bbolt"} {
		one, _ := d.get("HitParallel1KiB", im, "ns/op", 1)
		two, _ := d.get("HitParallel1KiB", im, "ns/op", 2)
		scale := func(name string) float64 {
			a, _ := d.get("HitParallel1KiB", name, "ns/op", 1)
			b, _ := d.get("HitParallel1KiB", name, "ns/op", 2)
			return a / b
		}
		pn, pv := "", math.NaN()
		for _, p := range d.impls("HitParallel1KiB") {
			if s := scale(p); isPeer(p) && !math.IsNaN(s) && (pn == "" || s > pv) {
				pn, pv = p, s
			}
		}
		target, met := "≥1.6× the single-goroutine rate", yes(one/two >= 1.6, one, two)
		if im != "cachedhttp-memory" {
			target, met = "(info) ≥1.6×", yes(one/two >= 1.6, one, two)
		}
		rows = append(rows, row{"parallel hits, rate on 2 cores / 1 (" + strings.TrimPrefix(im, "cachedhttp-") + ")",
			fmt.Sprintf("%s %s (%s → %s/op)", im, fmtVal(one/two, "x"), fmtVal(one, "ns/op"), fmtVal(two, "ns/op")),
			named(pn, pv, "x"), "", "", "", target, met})
	}
	// Store rate.
	{
		ch, _ := d.get("StoreRate1KiB", "cachedhttp-bbolt", "entries/s", 0)
		pn, pv := d.pick("StoreRate1KiB", "entries/s", 0, func(s string) bool { return isPeer(s) && !strings.HasSuffix(s, "-memory") }, true)
		rows = append(rows, row{"bbolt sustained store rate (1 KiB misses, then Close)", named("cachedhttp-bbolt", ch, "entries/s"), named(pn, pv, "entries/s"),
			"ours/peer " + ratio(ch, pv), "", "", "≥5,000 entries/s", yes(ch >= 5000, ch)})
	}
	// Coalescing.
	{
		on, ov := d.pick("ConcurrentMiss100", "origin/op", 0, isOurs, true) // the worst of ours
		pn, pv := d.pick("ConcurrentMiss100", "origin/op", 0, isPeer, false)
		ctl, _ := d.get("ConcurrentMiss100", "control", "origin/op", 0)
		rows = append(rows, row{"100 concurrent misses on one key (origin requests)", named(on, ov, "origin/op") + " (worst variant)", named(pn, pv, "origin/op"),
			"", "control " + fmtVal(ctl, "origin/op"), "", "1 origin request", yes(ov == 1, ov)})
	}
	// Memory per entry.
	{
		ch, _ := d.get("Storage1KiB", "cachedhttp-memory", "B/entry", 0)
		pn, pv := d.pick("Storage1KiB", "B/entry", 0, func(s string) bool { return isPeer(s) && strings.HasSuffix(s, "-memory") }, false)
		rows = append(rows, row{"memory per stored 1 KiB entry (Go heap)", named("cachedhttp-memory", ch, "B/entry"), named(pn, pv, "B/entry"),
			"peer/ours " + ratio(pv, ch), "body 1024 B", ratio(ch, 1024), "≤1.4 KiB (1434 B)", yes(ch <= 1.4*1024, ch)})
	}
	// Disk per entry.
	{
		ch, _ := d.get("Storage1KiB", "cachedhttp-bbolt", "disk-B/entry", 0)
		pn, pv := d.pick("Storage1KiB", "disk-B/entry", 0, isPeer, false)
		rows = append(rows, row{"bbolt bytes on disk per 1 KiB entry", named("cachedhttp-bbolt", ch, "disk-B/entry"), named(pn, pv, "disk-B/entry"),
			"peer/ours " + ratio(pv, ch), "body 1024 B", ratio(ch, 1024), "≤1.3 KiB (1331 B)", yes(ch <= 1.3*1024, ch)})
		if fv, ok := d.get("Storage1KiB", "cachedhttp-filesystem", "disk-B/entry", 0); ok {
			rows = append(rows, row{"filesystem bytes on disk per 1 KiB entry", named("cachedhttp-filesystem", fv, "disk-B/entry"), named(pn, pv, "disk-B/entry"),
				"peer/ours " + ratio(pv, fv), "body 1024 B", ratio(fv, 1024), "(info)", ""})
		}
	}

	// Each [CPU time] row goes right after its wall-time row.
	first := map[string]int{}
	for i, r := range rows {
		base := strings.TrimSuffix(r.scenario, " [CPU time]")
		if _, ok := first[base]; !ok {
			first[base] = i
		}
	}
	sort.SliceStable(rows, func(i, j int) bool {
		return first[strings.TrimSuffix(rows[i].scenario, " [CPU time]")] < first[strings.TrimSuffix(rows[j].scenario, " [CPU time]")]
	})
	var b strings.Builder
	b.WriteString("| scenario | cachedhttp | best peer | ratio | floor / control | ours / floor | target | met? |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", r.scenario, r.ours, r.peer, r.ratio, r.floor, r.toFloor, r.target, r.met)
	}
	return b.String()
}

// all prints every median, one line per benchmark result.
func (d *data) all() string {
	var b strings.Builder
	b.WriteString("| benchmark | impl | GOMAXPROCS | time/op | B/op | allocs/op | other |\n|---|---|---|---|---|---|---|\n")
	for _, k := range d.order {
		u := d.vals[k]
		var other []string
		var units []string
		for unit := range u {
			if unit != "ns/op" && unit != "B/op" && unit != "allocs/op" && unit != "MB/s" {
				units = append(units, unit)
			}
		}
		sort.Strings(units)
		for _, unit := range units {
			other = append(other, fmt.Sprintf("%.4g %s", median(u[unit]), unit))
		}
		fmt.Fprintf(&b, "| %s | %s | %d | %s | %.0f | %.0f | %s |\n", k.bench, k.impl, k.procs,
			fmtVal(median(u["ns/op"]), "ns/op"), median(u["B/op"]), median(u["allocs/op"]), strings.Join(other, ", "))
	}
	return b.String()
}

// cpuModel prefers /proc/cpuinfo's model name to the go test header.
func cpuModel(fromHeader string) string {
	data, err := os.ReadFile("/proc/cpuinfo")
	if err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if name, ok := strings.CutPrefix(line, "model name"); ok {
				return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(name), ":"))
			}
		}
	}
	if fromHeader != "" {
		return fromHeader
	}
	return "unknown"
}
