package inspect

import (
	"strings"
	"testing"
	"time"
)

func TestNiceCeil(t *testing.T) {
	for _, c := range []struct{ in, want float64 }{
		{0, 1}, {-3, 1}, {0.3, 0.5}, {1, 1}, {1.1, 2}, {3, 5}, {7, 10}, {999, 1000},
		{1024, 1024}, {1500, 2048}, {300 << 10, 500 << 10}, {3 << 20, 5 << 20},
	} {
		if got := niceCeil(c.in); got != c.want {
			t.Errorf("niceCeil(%g) = %g, want %g", c.in, got, c.want)
		}
	}
}

func TestChartSVG(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC)
	at := func(i int) time.Time { return t0.Add(time.Duration(i) * 5 * time.Second) }
	pt := func(i int, v float64, ok bool) chartPoint {
		return chartPoint{from: at(i), to: at(i + 1), v: v, ok: ok}
	}

	t.Run("a gap splits the line", func(t *testing.T) {
		c := chart{id: "r", title: "ratio", yMax: 1, yLabel: percentLabel,
			points: []chartPoint{pt(0, 0.5, true), pt(1, 1, true), pt(2, 0, false), pt(3, 0.25, true), pt(4, 0.75, true)}}
		svg := string(c.svg())
		if n := strings.Count(svg, "<polyline"); n != 2 {
			t.Errorf("%d polylines, want 2:\n%s", n, svg)
		}
		if n := strings.Count(svg, "<circle"); n != 4 {
			t.Errorf("%d dots, want 4", n)
		}
		for _, want := range []string{">100%</text>", ">0%</text>", ">03:04:00</text>", ">03:04:25</text>", "<title>03:04:10: 100%</title>"} {
			if !strings.Contains(svg, want) {
				t.Errorf("svg lacks %q", want)
			}
		}
	})
	t.Run("bars skip zero", func(t *testing.T) {
		c := chart{id: "b", title: "bytes", bars: true, yLabel: func(v float64) string { return formatBytes(int(v)) },
			points: []chartPoint{pt(0, 0, true), pt(1, 3000, true), pt(2, 1500, true)}}
		svg := string(c.svg())
		if n := strings.Count(svg, `<rect class="bar"`); n != 2 {
			t.Errorf("%d bars, want 2", n)
		}
		if !strings.Contains(svg, ">5.0 KiB</text>") {
			t.Errorf("the scale does not top at 5 KiB:\n%s", svg)
		}
	})
	t.Run("nothing to plot", func(t *testing.T) {
		c := chart{id: "e", title: "t", yMax: 1, yLabel: percentLabel, empty: "Collecting samples",
			points: []chartPoint{pt(0, 0, false)}}
		if svg := string(c.svg()); !strings.Contains(svg, `<text class="empty"`) || strings.Contains(svg, "<polyline") {
			t.Errorf("empty chart:\n%s", svg)
		}
	})
	t.Run("text is escaped", func(t *testing.T) {
		c := chart{id: `x"><script>`, title: "<b>&", yMax: 1, yLabel: func(float64) string { return "<i>" }, empty: "<e>"}
		svg := string(c.svg())
		if strings.Contains(svg, "<script>") || strings.Contains(svg, "<b>") || strings.Contains(svg, "<i>") || strings.Contains(svg, "<e>") {
			t.Errorf("unescaped text:\n%s", svg)
		}
	})
}

func TestIntervals(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC)
	c := &fakeCache{}
	h, err := New(c, &Options{SampleEvery: -5 * time.Second, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	step := func(hits, misses, revals int64, d time.Duration) {
		c.stats.Hits += hits
		c.stats.Misses += misses
		c.stats.Revalidations += revals
		now = now.Add(d)
		h.sampleIfDue()
	}
	step(3, 1, 0, 5*time.Second) // 3 of 4
	step(0, 0, 0, 5*time.Second) // no lookup
	step(1, 1, 2, 2*time.Second) // too soon: no sample
	step(0, 0, 0, 3*time.Second) // 1 of 4
	ivs := h.intervals()
	if len(ivs) != 3 {
		t.Fatalf("%d intervals, want 3", len(ivs))
	}
	want := []struct {
		lookups int64
		ratio   float64
	}{{4, 0.75}, {0, 0}, {4, 0.25}}
	for i, w := range want {
		if ivs[i].lookups != w.lookups || ivs[i].ratio != w.ratio {
			t.Errorf("interval %d: %d lookups, ratio %g; want %d, %g", i, ivs[i].lookups, ivs[i].ratio, w.lookups, w.ratio)
		}
	}
	// The ring keeps the latest Samples.
	for range 200 {
		step(1, 0, 0, 5*time.Second)
	}
	if n := len(h.intervals()); n != h.opt.Samples-1 {
		t.Errorf("%d intervals kept, want %d", n, h.opt.Samples-1)
	}
}

func TestRatioChartWithoutLookups(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC)
	if svg := string(ratioChart(nil, 5*time.Second).svg()); !strings.Contains(svg, "Collecting samples (one every 5s)") {
		t.Errorf("no interval:\n%s", svg)
	}
	ivs := []interval{{from: t0, to: t0.Add(5 * time.Second)}}
	if svg := string(ratioChart(ivs, 5*time.Second).svg()); !strings.Contains(svg, "No lookup through this cache in this process since 03:04:00") {
		t.Errorf("intervals without lookups:\n%s", svg)
	}
}
