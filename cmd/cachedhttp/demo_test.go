package main

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
)

// TestDemo runs the demo and reads its table: each row is a request, the
// Cache-Status the cache answered with and how many requests reached the
// origin.
func TestDemo(t *testing.T) {
	var out bytes.Buffer
	if err := demo(&out, nil); err != nil {
		t.Fatal(err)
	}
	type row struct{ request, status, cacheStatus, originHits string }
	var rows []row
	cols := regexp.MustCompile(`\s{2,}`)
	for line := range strings.Lines(out.String()) {
		if line == "" || line[0] < '1' || line[0] > '9' {
			continue
		}
		f := cols.Split(strings.TrimSpace(line), -1)
		if len(f) != 6 {
			t.Fatalf("row %q: %d columns, want 6", line, len(f))
		}
		rows = append(rows, row{f[1], f[2], f[3], f[4]})
	}
	want := []struct {
		request    string
		has        []string // in Cache-Status
		originHits string
	}{
		{"GET /fresh", []string{"fwd=uri-miss", "fwd-status=200", "stored"}, "+1"},
		{"GET /fresh", []string{"hit"}, "+0"},
		{"GET /etag", []string{"fwd=uri-miss", "stored"}, "+1"},
		{"GET /etag", []string{"fwd=stale", "fwd-status=304"}, "+1"},
		{"GET /flaky", []string{"fwd=uri-miss", "stored"}, "+1"},
		{"GET /flaky (clock +5s, origin 503)", []string{"fwd-status=503", "detail=stale-if-error"}, "+1"},
		{"GET /rules/a", []string{"fwd=uri-miss", "stored", "ttl=600"}, "+1"},
		{"GET /rules/a (clock +5m)", []string{"hit"}, "+0"},
		{"GET /go (302) -> /rules/b", []string{"fwd=uri-miss", "stored"}, "+2"},
		{"GET /go (302, replayed) -> /rules/b", []string{"hit"}, "+0"},
		{"GET (offline) /flaky, stale", []string{"hit", "detail=only-if-cached"}, "+0"},
		{"GET (offline) /nowhere", []string{"fwd=uri-miss", "detail=only-if-cached"}, "+0"},
	}
	if len(rows) != len(want) {
		t.Fatalf("%d rows, want %d:\n%s", len(rows), len(want), out.String())
	}
	for i, w := range want {
		r := rows[i]
		status := "200"
		if strings.HasSuffix(w.request, "/nowhere") {
			status = "504"
		}
		if r.request != w.request || r.status != status || r.originHits != w.originHits {
			t.Errorf("row %d = %q %s %s, want %q 200 %s", i+1, r.request, r.status, r.originHits, w.request, w.originHits)
		}
		for _, s := range w.has {
			if !strings.Contains(r.cacheStatus, s) {
				t.Errorf("row %d (%s): Cache-Status %q lacks %q", i+1, r.request, r.cacheStatus, s)
			}
		}
		if strings.Contains(r.cacheStatus, "hit") != (w.has[0] == "hit") {
			t.Errorf("row %d (%s): Cache-Status %q: hit is wrong", i+1, r.request, r.cacheStatus)
		}
	}
	if s := "hits 5, misses 8, revalidations 1, stale-if-error 2, stored 6"; !strings.Contains(out.String(), s) {
		t.Errorf("summary is not %q:\n%s", s, out.String())
	}
}
