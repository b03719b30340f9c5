package main

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// key names one benchmark result: BenchmarkHit1KiB/impl=cachedhttp-memory-2
// is {Hit1KiB, cachedhttp-memory, 2}.
type key struct {
	bench string
	impl  string
	procs int
}

// data holds every value read, per result and unit, in the order the runs
// appended them (run.sh runs every benchmark once per round, so the i-th
// values of two results come from the same round, the same process).
type data struct {
	vals  map[key]map[string][]float64
	order []key
	cpu   string
	loads []float64 // the 1-minute load average at the start of each round
}

func newData() *data { return &data{vals: map[key]map[string][]float64{}} }

var nameRE = regexp.MustCompile(`^Benchmark([^/\s]+)/impl=(\S+?)(?:-(\d+))?$`)

// parse reads go test -bench output, and the "# load: 1m 5m 15m" lines
// run.sh writes before each round.
func (d *data) parse(r io.Reader) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if c, ok := strings.CutPrefix(line, "cpu: "); ok {
			d.cpu = strings.TrimSpace(c)
			continue
		}
		if l, ok := strings.CutPrefix(line, "# load: "); ok {
			if f := strings.Fields(l); len(f) > 0 {
				if v, err := strconv.ParseFloat(f[0], 64); err == nil {
					d.loads = append(d.loads, v)
				}
			}
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

// runs returns the fewest and the most runs of any result.
func (d *data) runs() (lo, hi int) {
	lo = math.MaxInt
	for _, u := range d.vals {
		n := len(u["ns/op"])
		lo, hi = min(lo, n), max(hi, n)
	}
	if hi == 0 {
		lo = 0
	}
	return lo, hi
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

// series returns every value of unit for bench and impl, in run order.
// procs 0 means the largest GOMAXPROCS measured (the machine's default for
// every benchmark but the parallel one).
func (d *data) series(bench, impl, unit string, procs int) []float64 {
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
	return vals
}

// get returns the median of unit for bench and impl (see series).
func (d *data) get(bench, impl, unit string, procs int) (float64, bool) {
	v := d.series(bench, impl, unit, procs)
	if v == nil {
		return math.NaN(), false
	}
	return median(v), true
}

// impls returns the impls measured in bench, in the order first seen.
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

// isPeer tells the other Go caches from cachedhttp, the control and the
// floors.
func isPeer(impl string) bool {
	for _, p := range []string{"gregjones-", "bartventer-", "sandrolain-"} {
		if strings.HasPrefix(impl, p) {
			return true
		}
	}
	return false
}

// diskPeers are the peers that keep their entries in files.
var diskPeers = map[string]bool{"gregjones-diskcache": true, "gregjones-leveldb": true, "bartventer-file": true}

func isDiskPeer(impl string) bool   { return diskPeers[impl] }
func isMemoryPeer(impl string) bool { return isPeer(impl) && !diskPeers[impl] }
func isOurs(impl string) bool       { return strings.HasPrefix(impl, "cachedhttp-") }
func only(name string) func(string) bool {
	return func(s string) bool { return s == name }
}

// pick returns the impl among those accepted whose median is lowest (or
// highest with high), and the median.
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
