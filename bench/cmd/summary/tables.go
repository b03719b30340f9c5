package main

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

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
	case "B/entry", "disk-B/entry", "compacted-disk-B/entry":
		return fmt.Sprintf("%.0f B", v)
	case "entries/s":
		return fmt.Sprintf("%.0f/s", v)
	case "entries":
		return fmt.Sprintf("%.0f", v)
	case "live-MB":
		return fmt.Sprintf("%.1f MB", v)
	case "alloc/body", "origin/op", "x":
		return fmt.Sprintf("%.3g", v)
	}
	return fmt.Sprintf("%.4g %s", v, unit)
}

func named(name string, v float64, unit string) string {
	if name == "" || math.IsNaN(v) {
		return "n/a"
	}
	return fmt.Sprintf("%s %s", name, fmtVal(v, unit))
}

// ratio formats a/b.
func ratio(a, b float64) string {
	if math.IsNaN(a) || math.IsNaN(b) || b == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.2f×", a/b)
}

// spread formats the ratio of the medians of a and b and, when both were
// measured in the same rounds, the range of the per-round ratios (each
// round is one process, so its two values saw the same machine).
func spread(a, b []float64) string {
	r := ratio(median(a), median(b))
	if r == "n/a" || len(a) != len(b) || len(a) < 2 {
		return r
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for i := range a {
		if b[i] == 0 {
			return r
		}
		lo, hi = min(lo, a[i]/b[i]), max(hi, a[i]/b[i])
	}
	return fmt.Sprintf("%s (%.2f–%.2f)", r, lo, hi)
}

func met(ok bool, have ...float64) string {
	for _, v := range have {
		if math.IsNaN(v) {
			return "n/a"
		}
	}
	if ok {
		return "**met**"
	}
	return "**not met**"
}

// trow is one line of a targets table.
type trow struct {
	scenario              string
	control, peer, ours   string
	toControl, toPeer     string
	target, met           string
	ourV, peerV, controlV float64
}

// compare fills a row for scenario from bench: cachedhttp's impl ours, the
// peer accept picks (lowest median), and the control when withControl.
func (d *data) compare(scenario, bench, ours string, accept func(string) bool, unit string, withControl bool) trow {
	r := trow{scenario: scenario, control: "—", toControl: "—"}
	os := d.series(bench, ours, unit, 0)
	r.ourV = median(os)
	r.ours = fmtVal(r.ourV, unit)
	pn, pv := d.pick(bench, unit, 0, accept, false)
	r.peerV = pv
	r.peer = named(pn, pv, unit)
	r.toPeer = spread(os, d.series(bench, pn, unit, 0))
	r.controlV = math.NaN()
	if withControl {
		cs := d.series(bench, "control", unit, 0)
		r.controlV = median(cs)
		r.control = fmtVal(r.controlV, unit)
		r.toControl = spread(os, cs)
	}
	return r
}

// targets returns the rows of the table, timed by unit (ns/op, or
// cpu-ns/op for the same scenarios on the process's CPU time).
func (d *data) targets(unit string) []trow {
	var rows []trow
	add := func(r trow, target string, ok bool, have ...float64) {
		r.target = target
		if target == "(info)" {
			r.met = ""
		} else {
			r.met = met(ok, have...)
		}
		rows = append(rows, r)
	}

	// floor-hit (bench/floorhit_test.go) answers from memory with the
	// least a correct cache does: the least a hit costs.
	hf, haveHF := d.get("Hit1KiB", "floor-hit", unit, 0)
	r := d.compare("hit 1 KiB, memory", "Hit1KiB", "cachedhttp-memory", isPeer, unit, true)
	if haveHF {
		r.ours += fmt.Sprintf(" (%s the hit floor, %s)", ratio(r.ourV, hf), fmtVal(hf, unit))
	}
	add(r, "≤ 0.33× the best peer", r.ourV <= 0.33*r.peerV, r.ourV, r.peerV)
	if haveHF {
		r = d.compare("hit 1 KiB, the hit floor (SHA-256 key, a map, a header copy with Age, the kept bytes)", "Hit1KiB", "floor-hit", isPeer, unit, true)
		add(r, "(info)", false)
	}
	if unit == "ns/op" {
		r = d.compare("hit 1 KiB, memory (allocations)", "Hit1KiB", "cachedhttp-memory", isPeer, "allocs/op", true)
		add(r, "≤ 15 allocs/op", r.ourV <= 15, r.ourV)
	}
	r = d.compare("hit 1 KiB, bbolt", "Hit1KiB", "cachedhttp-bbolt", only("gregjones-leveldb"), unit, true)
	add(r, "≤ 0.5× gregjones-leveldb", r.ourV <= 0.5*r.peerV, r.ourV, r.peerV)

	r = d.compare("hit 256 KiB, memory", "Hit256KiB", "cachedhttp-memory", isPeer, unit, true)
	fl, _ := d.get("Hit256KiB", "floor", unit, 0)
	r.ours += fmt.Sprintf(" (%s the one-copy floor, %s)", ratio(r.ourV, fl), fmtVal(fl, unit))
	add(r, "≤ 1.2× the floor", r.ourV <= 1.2*fl, r.ourV, fl)
	r = d.compare("hit 256 KiB, bbolt", "Hit256KiB", "cachedhttp-bbolt", isDiskPeer, unit, true)
	r.ours += fmt.Sprintf(" (%s the floor)", ratio(r.ourV, fl))
	add(r, "(info)", false)

	// floor-keep (bench/floorkeep_test.go) keeps every response and does
	// nothing else: the least a caching miss costs.
	kf, haveKF := d.get("Miss1KiB", "floor-keep", unit, 0)
	keepFloor := func(r *trow) {
		if haveKF {
			r.ours += fmt.Sprintf(" (%s the keep floor, %s)", ratio(r.ourV, kf), fmtVal(kf, unit))
		}
	}
	r = d.compare("miss 1 KiB, memory", "Miss1KiB", "cachedhttp-memory", isPeer, unit, true)
	keepFloor(&r)
	add(r, "≤ 1.10× no cache", r.ourV <= 1.10*r.controlV, r.ourV, r.controlV)
	r = d.compare("miss 1 KiB, bbolt", "Miss1KiB", "cachedhttp-bbolt", isDiskPeer, unit, true)
	if bf, ok := d.get("Miss1KiB", "floor-keep-bbolt", unit, 0); ok {
		r.ours += fmt.Sprintf(" (%s the bbolt keep floor, %s)", ratio(r.ourV, bf), fmtVal(bf, unit))
	} else {
		keepFloor(&r)
	}
	add(r, "≤ 1.25× no cache", r.ourV <= 1.25*r.controlV, r.ourV, r.controlV)
	if haveKF {
		r = d.compare("miss 1 KiB, the keep floor (no cache, plus a SHA-256 key and one kept copy of each header and body)", "Miss1KiB", "floor-keep", isPeer, unit, true)
		add(r, "(info)", false)
	}
	if _, ok := d.get("Miss1KiB", "floor-keep-bbolt", unit, 0); ok {
		r = d.compare("miss 1 KiB, the bbolt keep floor (the keep floor written behind into a bbolt file in batches)", "Miss1KiB", "floor-keep-bbolt", isDiskPeer, unit, true)
		add(r, "(info)", false)
	}

	// floor-reval (bench/floorkeep_test.go) makes the control's request
	// conditional and answers a 304 with kept bytes: the least a
	// revalidation costs.
	rf, haveRF := d.get("Revalidate1KiB", "floor-reval", unit, 0)
	revalFloor := func(r *trow) {
		if haveRF {
			r.ours += fmt.Sprintf(" (%s the revalidation floor, %s)", ratio(r.ourV, rf), fmtVal(rf, unit))
		}
	}
	r = d.compare("revalidation (304), memory", "Revalidate1KiB", "cachedhttp-memory", isPeer, unit, true)
	revalFloor(&r)
	add(r, "≤ 1.15× no cache", r.ourV <= 1.15*r.controlV, r.ourV, r.controlV)
	r = d.compare("revalidation (304), bbolt", "Revalidate1KiB", "cachedhttp-bbolt", isDiskPeer, unit, true)
	revalFloor(&r)
	add(r, "(info)", false)
	if haveRF {
		r = d.compare("revalidation (304), the floor (a SHA-256 key, the kept validators sent, a 304 merged into a copy of the kept header, the kept bytes)", "Revalidate1KiB", "floor-reval", isPeer, unit, true)
		add(r, "(info)", false)
	}

	if unit == "ns/op" {
		r = d.compare("memory per stored 1 KiB entry (Go heap)", "Storage1KiB", "cachedhttp-memory", isMemoryPeer, "B/entry", false)
		add(r, "≤ 1.4 KiB (1434 B)", r.ourV <= 1.4*1024, r.ourV)
		r = d.compare("bbolt disk per stored 1 KiB entry", "Storage1KiB", "cachedhttp-bbolt", isDiskPeer, "disk-B/entry", false)
		add(r, "≤ 1.3 KiB (1331 B)", r.ourV <= 1.3*1024, r.ourV)
		if _, ok := d.get("Storage1KiB", "cachedhttp-bbolt", "compacted-disk-B/entry", 0); ok {
			r = d.compare("bbolt disk per stored 1 KiB entry, after `purge --compact`", "Storage1KiB", "cachedhttp-bbolt", isDiskPeer, "compacted-disk-B/entry", false)
			add(r, "(info)", false)
		}
	}
	return rows
}

func renderTargets(rows []trow) string {
	var b strings.Builder
	b.WriteString("| scenario | no cache | best peer | cachedhttp | cachedhttp / no cache | cachedhttp / best peer | target | met? |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s |\n",
			r.scenario, r.control, r.peer, r.ours, r.toControl, r.toPeer, r.target, r.met)
	}
	return b.String()
}

// wide returns one row per scenario and one column per implementation.
func (d *data) wide() string {
	type line struct {
		label, bench, unit string
		procs              int
	}
	lines := []line{
		{"hit 1 KiB", "Hit1KiB", "ns/op", 0},
		{"hit 1 KiB, CPU time", "Hit1KiB", "cpu-ns/op", 0},
		{"hit 1 KiB, allocations", "Hit1KiB", "allocs/op", 0},
		{"hit 256 KiB", "Hit256KiB", "ns/op", 0},
		{"hit 256 KiB, CPU time", "Hit256KiB", "cpu-ns/op", 0},
		{"hit 8 MiB", "Hit8MiB", "ns/op", 0},
		{"miss 1 KiB", "Miss1KiB", "ns/op", 0},
		{"miss 1 KiB, CPU time", "Miss1KiB", "cpu-ns/op", 0},
		{"miss: entries held after the last run", "Miss1KiB", "entries", 0},
		{"miss: live heap after the last run", "Miss1KiB", "live-MB", 0},
		{"revalidation (304)", "Revalidate1KiB", "ns/op", 0},
		{"revalidation (304), CPU time", "Revalidate1KiB", "cpu-ns/op", 0},
		{"parallel hits 1 KiB, 2 goroutines", "HitParallel1KiB", "ns/op", 2},
		{"store rate (misses, then Close)", "StoreRate1KiB", "entries/s", 0},
		{"100 concurrent misses: origin requests", "ConcurrentMiss100", "origin/op", 0},
		{"heap per stored 1 KiB entry", "Storage1KiB", "B/entry", 0},
		{"disk per stored 1 KiB entry", "Storage1KiB", "disk-B/entry", 0},
		{"disk per stored 1 KiB entry, compacted", "Storage1KiB", "compacted-disk-B/entry", 0},
	}
	// Columns: the control, cachedhttp's stores, then the peers.
	seen := map[string]bool{}
	var ours, peers []string
	hasControl := false
	for _, k := range d.order {
		if seen[k.impl] {
			continue
		}
		seen[k.impl] = true
		switch {
		case k.impl == "control":
			hasControl = true
		case isOurs(k.impl):
			ours = append(ours, k.impl)
		case isPeer(k.impl):
			peers = append(peers, k.impl)
		}
	}
	cols := append(ours, peers...)
	if hasControl {
		cols = append([]string{"control"}, cols...)
	}
	var b strings.Builder
	b.WriteString("| scenario |")
	for _, c := range cols {
		name := c
		if c == "control" {
			name = "no cache"
		}
		fmt.Fprintf(&b, " %s |", name)
	}
	b.WriteString("\n|---|" + strings.Repeat("---|", len(cols)) + "\n")
	for _, l := range lines {
		var cells []string
		any := false
		for _, c := range cols {
			v, ok := d.get(l.bench, c, l.unit, l.procs)
			if !ok {
				cells = append(cells, "")
				continue
			}
			any = true
			cells = append(cells, fmtVal(v, l.unit))
		}
		if any {
			fmt.Fprintf(&b, "| %s | %s |\n", l.label, strings.Join(cells, " | "))
		}
	}
	return b.String()
}

// others returns the targets of the earlier issue that the table of issue
// 11 does not repeat.
func (d *data) others() string {
	type orow struct{ scenario, ours, peer, target, met string }
	var rows []orow
	{
		on, ov := d.pick("Hit8MiBInto", "alloc/body", 0, isOurs, true) // the worst of ours
		pn, pv := d.pick("Hit8MiBInto", "alloc/body", 0, isPeer, false)
		rows = append(rows, orow{"hit 8 MiB, bytes allocated / body size (caller reads into its buffer)",
			named(on, ov, "alloc/body") + worst(on), named(pn, pv, "alloc/body"), "≤ 1.1", met(ov <= 1.1, ov)})
	}
	for _, im := range []string{"cachedhttp-memory", "cachedhttp-bbolt"} {
		one, _ := d.get("HitParallel1KiB", im, "ns/op", 1)
		two, _ := d.get("HitParallel1KiB", im, "ns/op", 2)
		pn, pv := "", math.NaN()
		for _, p := range d.impls("HitParallel1KiB") {
			a, _ := d.get("HitParallel1KiB", p, "ns/op", 1)
			b, _ := d.get("HitParallel1KiB", p, "ns/op", 2)
			if s := a / b; isPeer(p) && !math.IsNaN(s) && (pn == "" || s > pv) {
				pn, pv = p, s
			}
		}
		target := "≥ 1.6× the single-goroutine rate"
		if im != "cachedhttp-memory" {
			target = "(info) " + target
		}
		ours := "n/a"
		if !math.IsNaN(one / two) {
			ours = fmt.Sprintf("%s (%s → %s/op)", fmtVal(one/two, "x"), fmtVal(one, "ns/op"), fmtVal(two, "ns/op"))
		}
		rows = append(rows, orow{"parallel hits 1 KiB, rate on 2 goroutines / 1 (" + strings.TrimPrefix(im, "cachedhttp-") + ")", ours,
			named(pn, pv, "x"), target, met(one/two >= 1.6, one, two)})
	}
	{
		ch, _ := d.get("StoreRate1KiB", "cachedhttp-bbolt", "entries/s", 0)
		pn, pv := d.pick("StoreRate1KiB", "entries/s", 0, isDiskPeer, true)
		rows = append(rows, orow{"bbolt sustained store rate (1 KiB misses, then Close)", fmtVal(ch, "entries/s"), named(pn, pv, "entries/s"),
			"≥ 5,000 entries/s", met(ch >= 5000, ch)})
	}
	{
		on, ov := d.pick("ConcurrentMiss100", "origin/op", 0, isOurs, true) // the worst of ours
		pn, pv := d.pick("ConcurrentMiss100", "origin/op", 0, isPeer, false)
		rows = append(rows, orow{"100 concurrent misses on one URL: origin requests", named(on, ov, "origin/op") + worst(on),
			named(pn, pv, "origin/op"), "1", met(ov == 1, ov)})
	}
	var b strings.Builder
	b.WriteString("| scenario | cachedhttp | best peer | target | met? |\n|---|---|---|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", r.scenario, r.ours, r.peer, r.target, r.met)
	}
	return b.String()
}

func worst(name string) string {
	if name == "" {
		return ""
	}
	return " (the worst store)"
}

// summary is what `make bench` prints: the targets on wall time and on
// CPU time, every implementation side by side, and the other targets.
func (d *data) summary() string {
	var b strings.Builder
	lo, hi := d.runs()
	fmt.Fprintf(&b, "Medians of %d runs per benchmark", hi)
	if lo != hi {
		fmt.Fprintf(&b, " (%d for some)", lo)
	}
	b.WriteString("; a ratio's range in brackets is that of the per-round ratios (each round one process).\n\n")
	b.WriteString("### Targets (wall time: what the caller waits)\n\n")
	b.WriteString(renderTargets(d.targets("ns/op")))
	b.WriteString("\n### The same scenarios on CPU time (user + system of the whole process per op)\n\n")
	b.WriteString(renderTargets(d.targets("cpu-ns/op")))
	b.WriteString("\n### Every implementation (medians)\n\n")
	b.WriteString(d.wide())
	b.WriteString("\n### Other targets\n\n")
	b.WriteString(d.others())
	return b.String()
}

// unmet returns the scenarios of the targets table (wall time) whose
// target is not met.
func (d *data) unmet() []string {
	var out []string
	for _, r := range d.targets("ns/op") {
		if r.met == met(false) {
			out = append(out, r.scenario)
		}
	}
	return out
}

// loadRange formats the range of the 1-minute load averages seen at the
// start of the rounds.
func (d *data) loadRange() string {
	if len(d.loads) == 0 {
		return ""
	}
	s := append([]float64(nil), d.loads...)
	sort.Float64s(s)
	return fmt.Sprintf("%.2f–%.2f (median %.2f) over %d rounds", s[0], s[len(s)-1], median(s), len(s))
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
