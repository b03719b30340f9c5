package inspect

import (
	"fmt"
	"html/template"
	"math"
	"strings"
	"time"
)

// chart is one server-rendered SVG chart of values over time, drawn with
// presentation classes only (the page's stylesheet colours them; the
// Content-Security-Policy forbids inline styles).
type chart struct {
	id, title string
	bars      bool // bars per interval; else a line through interval ends
	points    []chartPoint
	yMax      float64 // fixed top of the scale; 0 picks one from the data
	yLabel    func(float64) string
	empty     string // shown when there is nothing to plot
}

// chartPoint is a value over an interval; ok is false where there is no
// value (a gap in the line).
type chartPoint struct {
	from, to time.Time
	v        float64
	ok       bool
}

const (
	chartW, chartH                               = 640, 180
	chartLeft, chartRight, chartTop, chartBottom = 64, 14, 12, 26
)

// svg renders c; every text it writes is escaped.
func (c chart) svg() template.HTML {
	var b strings.Builder
	esc := template.HTMLEscapeString
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %d %d" role="img" aria-labelledby="%s-t">`, chartW, chartH, esc(c.id))
	fmt.Fprintf(&b, `<title id="%s-t">%s</title>`, esc(c.id), esc(c.title))
	pw, ph := float64(chartW-chartLeft-chartRight), float64(chartH-chartTop-chartBottom)
	bottom := float64(chartTop) + ph
	fmt.Fprintf(&b, `<rect class="plot" x="%d" y="%d" width="%g" height="%g"/>`, chartLeft, chartTop, pw, ph)

	var from, to time.Time
	max := 0.0
	valued := 0
	for _, p := range c.points {
		if from.IsZero() || p.from.Before(from) {
			from = p.from
		}
		if p.to.After(to) {
			to = p.to
		}
		if p.ok {
			valued++
			max = math.Max(max, p.v)
		}
	}
	top := c.yMax
	if top == 0 {
		top = niceCeil(max)
	}
	for i, f := range []float64{0, 0.5, 1} {
		y := bottom - f*ph
		cls := "grid"
		if i == 0 {
			cls = "axis"
		}
		fmt.Fprintf(&b, `<line class="%s" x1="%d" y1="%.1f" x2="%g" y2="%.1f"/>`, cls, chartLeft, y, float64(chartLeft)+pw, y)
		fmt.Fprintf(&b, `<text class="ylabel" x="%d" y="%.1f">%s</text>`, chartLeft-6, y+4, esc(c.yLabel(f*top)))
	}
	if valued == 0 || !to.After(from) {
		fmt.Fprintf(&b, `<text class="empty" x="%g" y="%g">%s</text></svg>`, float64(chartLeft)+pw/2, float64(chartTop)+ph/2+4, esc(c.empty))
		return template.HTML(b.String())
	}
	span := float64(to.Sub(from))
	x := func(t time.Time) float64 { return float64(chartLeft) + pw*float64(t.Sub(from))/span }
	y := func(v float64) float64 { return bottom - ph*math.Min(v/top, 1) }
	if c.bars {
		for _, p := range c.points {
			if !p.ok || p.v <= 0 {
				continue
			}
			x0, x1 := x(p.from), x(p.to)
			w := math.Max(x1-x0-1, 1)
			fmt.Fprintf(&b, `<rect class="bar" x="%.1f" y="%.1f" width="%.1f" height="%.1f"><title>%s</title></rect>`,
				x0+0.5, y(p.v), w, bottom-y(p.v), esc(p.to.Format("15:04:05")+": "+c.yLabel(p.v)))
		}
	} else {
		var seg []string
		flush := func() {
			if len(seg) > 1 {
				fmt.Fprintf(&b, `<polyline class="line" points="%s"/>`, strings.Join(seg, " "))
			}
			seg = seg[:0]
		}
		for _, p := range c.points {
			if !p.ok {
				flush()
				continue
			}
			seg = append(seg, fmt.Sprintf("%.1f,%.1f", x(p.to), y(p.v)))
		}
		flush()
		if valued <= 60 {
			for _, p := range c.points {
				if p.ok {
					fmt.Fprintf(&b, `<circle class="dot" cx="%.1f" cy="%.1f" r="2.5"><title>%s</title></circle>`,
						x(p.to), y(p.v), esc(p.to.Format("15:04:05")+": "+c.yLabel(p.v)))
				}
			}
		}
	}
	fmt.Fprintf(&b, `<text class="xlabel start" x="%d" y="%d">%s</text>`, chartLeft, chartH-8, esc(from.Format("15:04:05")))
	fmt.Fprintf(&b, `<text class="xlabel end" x="%g" y="%d">%s</text>`, float64(chartLeft)+pw, chartH-8, esc(to.Format("15:04:05")))
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// niceCeil returns the smallest of 1, 2, 5 × 10^k or, for byte counts of
// 1 KiB and more, of 1, 2, 5 × 10^k × 1024^j, not below v (1 for v <= 0).
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	unit := 1.0
	for v/unit >= 1024 {
		unit *= 1024
	}
	r := v / unit
	p := math.Pow(10, math.Floor(math.Log10(r)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= r {
			return m * p * unit
		}
	}
	return 10 * p * unit
}

func percentLabel(v float64) string { return fmt.Sprintf("%.0f%%", v*100) }

// ratioChart plots the hit ratio per sampling interval.
func ratioChart(ivs []interval, every time.Duration) chart {
	c := chart{id: "hit-ratio", title: "Hit ratio per interval", yMax: 1, yLabel: percentLabel,
		empty: "Collecting samples (one every " + every.String() + ")"}
	if len(ivs) > 0 {
		c.empty = "No lookup through this cache in this process since " + ivs[0].from.Format("15:04:05")
	}
	for _, iv := range ivs {
		c.points = append(c.points, chartPoint{from: iv.from, to: iv.to, v: iv.ratio, ok: iv.lookups > 0})
	}
	return c
}

// bytesChart plots the bytes served from the cache per sampling interval.
func bytesChart(ivs []interval, every time.Duration) chart {
	c := chart{id: "bytes", title: "Bytes served from the cache per interval", bars: true, yLabel: func(v float64) string { return formatBytes(int(v)) },
		empty: "Collecting samples (one every " + every.String() + ")"}
	for _, iv := range ivs {
		c.points = append(c.points, chartPoint{from: iv.from, to: iv.to, v: float64(iv.bytes), ok: true})
	}
	return c
}
