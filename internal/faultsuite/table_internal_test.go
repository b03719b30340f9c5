package faultsuite

import (
	"strings"
	"testing"
	"time"
)

func TestPercentileIsNearestRank(t *testing.T) {
	var d []time.Duration
	for i := 100; i >= 1; i-- {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	for p, want := range map[int]time.Duration{50: 50 * time.Millisecond, 99: 99 * time.Millisecond, 100: 100 * time.Millisecond, 1: time.Millisecond} {
		if got := percentile(d, p); got != want {
			t.Errorf("p%d = %v, want %v", p, got, want)
		}
	}
	if percentile(nil, 99) != 0 {
		t.Error("percentile of nothing is not 0")
	}
}

func TestMarkdownRow(t *testing.T) {
	rows := Markdown([]Result{
		{Store: "redis", Fault: "hung, after open", Requests: 120, P50: 251 * time.Millisecond, P99: 2500 * time.Microsecond,
			ControlP99: time.Millisecond, Lost: 0, Open: 100 * time.Microsecond, Close: time.Second, Stderr: 3, Resumed: true, ResumeAfter: 40 * time.Millisecond},
		{Store: "redis", Fault: "refused, before open", Lost: -1},
	})
	for _, want := range []string{
		"| redis | hung, after open | 120 | 0 | 251 ms | 2.5 ms | 1.0 ms | 0 / 0 | 0.1 ms | 1000 ms | 3 | 40 ms |",
		"| redis | refused, before open | 0 | 0 | 0.0 ms | 0.0 ms | 0.0 ms | n/a / 0 | 0.0 ms | 0.0 ms | 0 | no |",
	} {
		if !strings.Contains(rows, want+"\n") {
			t.Errorf("table lacks %q:\n%s", want, rows)
		}
	}
	if doc := Document(rows, Defaults()); !strings.HasPrefix(doc, "# Reliability") || !strings.HasSuffix(doc, rows) {
		t.Errorf("document:\n%s", doc)
	}
}

func TestPathSafe(t *testing.T) {
	if got := pathSafe("redis (own server)/2s slow, Before"); got != "redis--own-server--2s-slow--before" {
		t.Errorf("pathSafe: %q", got)
	}
}
