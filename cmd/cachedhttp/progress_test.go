package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/backends/memory"
	"github.com/cachedhttp/cachedhttp/models"
)

func TestProgressTerminal(t *testing.T) {
	var out bytes.Buffer
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p := newProgress(&out, "migrate", true, func() time.Time { return now })
	p.start(10)

	update(p, migrateCounts{copied: 1})
	if got := out.String(); got != "\rmigrate: [##......................] 1/10 (10%) copied 1, skipped 0, failed 0, 0 B" {
		t.Fatalf("first drawing: %q", got)
	}
	// Updates within the interval are dropped.
	now = now.Add(progressEveryTTY / 2)
	update(p, migrateCounts{copied: 2})
	if strings.Contains(out.String(), "2/10") {
		t.Errorf("redrawn within the interval: %q", out.String())
	}
	// After the interval the line is redrawn in place, with the rate.
	now = now.Add(progressEveryTTY + time.Second)
	out.Reset()
	update(p, migrateCounts{copied: 4, skipped: 1, failed: 1, bytes: 3 << 20})
	second := "\rmigrate: [##############..........] 6/10 (60%) copied 4, skipped 1, failed 1, 3.0 MiB, 5/s"
	if got := out.String(); got != second {
		t.Errorf("second drawing:\n%q, want\n%q", got, second)
	}
	// A message clears the line; the next update draws it again at once.
	out.Reset()
	p.clear()
	if got := out.String(); got != "\r"+strings.Repeat(" ", len(second)-1)+"\r" {
		t.Errorf("clear: %q", got)
	}
	out.Reset()
	update(p, migrateCounts{copied: 7})
	if !strings.Contains(out.String(), "7/10") {
		t.Errorf("not redrawn after clear: %q", out.String())
	}
	out.Reset()
	p.finish()
	if got := out.String(); !strings.HasPrefix(got, "\r ") || !strings.HasSuffix(got, " \r") {
		t.Errorf("finish does not clear the line: %q", got)
	}
}

func TestProgressFile(t *testing.T) {
	var out bytes.Buffer
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p := newProgress(&out, "migrate", false, func() time.Time { return now })
	p.start(-1) // total unknown
	update(p, migrateCounts{copied: 1, bytes: 2048})
	now = now.Add(progressEveryFile / 2)
	update(p, migrateCounts{copied: 2})
	now = now.Add(progressEveryFile)
	update(p, migrateCounts{copied: 3})
	p.finish()
	want := "migrate: 1 copied 1, skipped 0, failed 0, 2.0 KiB\n" +
		"migrate: 3 copied 3, skipped 0, failed 0, 0 B, 2/s\n"
	if out.String() != want {
		t.Errorf("got\n%q, want\n%q", out.String(), want)
	}
}

func TestIsTerminal(t *testing.T) {
	if isTerminal(&bytes.Buffer{}) {
		t.Error("a buffer is a terminal")
	}
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	if isTerminal(null) {
		t.Error(os.DevNull + " is a terminal")
	}
	f, err := os.Create(t.TempDir() + "/f")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if isTerminal(f) {
		t.Error("a file is a terminal")
	}
}

func TestFormatBytes(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 1536: "1.5 KiB", 5 << 20: "5.0 MiB", 3 << 30: "3.0 GiB", 5 << 40: "5120.0 GiB"} {
		if got := formatBytes(n); got != want {
			t.Errorf("formatBytes(%d) = %q, want %q", n, got, want)
		}
	}
}

// update draws c as migrate does.
func update(p *progress, c migrateCounts) { p.update(c.done(), c.detail) }

// purge draws progress when asked (and, without --progress, only on a
// terminal), and deletes what it deleted without it (issue 12: no progress
// on long commands but migrate).
func TestPurgeProgress(t *testing.T) {
	seedExpired := func(dsn string) {
		now := time.Now()
		old := now.Add(-2 * time.Hour)
		recs := map[string]*models.Response{}
		for i := range 20 {
			recs[fmt.Sprint("expired", i)] = record(fmt.Sprint("http://a.example/", i), "e", old, old.Add(time.Minute))
		}
		recs["fresh"] = record("http://a.example/fresh", "f", now, now.Add(time.Hour))
		seed(t, dsn, recs)
	}
	dsn := tempDSN(t)
	seedExpired(dsn)
	r := mustRun(t, "purge", "--cache", dsn, "--progress")
	if r.out != "deleted 20 expired responses\n" {
		t.Errorf("purge --progress: %q", r.out)
	}
	if !strings.HasPrefix(r.err, "purge: 0/21 (0%) sweeping what the store has expired\n") || strings.Contains(r.err, "\r") {
		t.Errorf("progress lines:\n%q", r.err)
	}
	seedExpired(dsn)
	r = mustRun(t, "purge", "--cache", dsn)
	if r.out != "deleted 20 expired responses\n" || r.err != "" {
		t.Errorf("purge without --progress: %q, %q", r.out, r.err)
	}
	if got := fmt.Sprint(rawKeys(t, dsn)); got != "[fresh]" {
		t.Errorf("left %s", got)
	}
}

// The counting backend offers what the wrapped backend offers, so the
// library treats it the same.
func TestCountingBackend(t *testing.T) {
	mem := memory.New(memory.Options{})
	c := &countingBackend{Backend: mem}
	ctx := context.Background()
	if err := c.SetMany(ctx, []backends.Item{{Key: "a", Value: []byte("1")}, {Key: "b", Value: []byte("2")}}); err != nil {
		t.Fatal(err)
	}
	if !c.RetainsValues() {
		t.Error("memory retains values; the wrapper says it does not")
	}
	var seen []int64
	c.onScan = func(n int64) { seen = append(seen, n) }
	for range c.Scan(ctx) {
	}
	if fmt.Sprint(seen) != "[1 2]" {
		t.Errorf("onScan saw %v", seen)
	}
	if n, err := (&countingBackend{Backend: sweeper{mem}}).Sweep(ctx); err != nil || n != 7 {
		t.Errorf("Sweep of a Sweeper = %d, %v; want its 7", n, err)
	}
	plain := &countingBackend{Backend: struct{ backends.Backend }{mem}} // no optional interfaces
	if n, err := plain.Sweep(ctx); err != nil || n != 0 || plain.RetainsValues() {
		t.Errorf("a plain backend: Sweep = %d, %v; RetainsValues %v", n, err, plain.RetainsValues())
	}
	if err := plain.SetMany(ctx, []backends.Item{{Key: "c", Value: []byte("3")}}); err != nil {
		t.Fatal(err)
	}
	if v, err := mem.Get(ctx, "c"); err != nil || string(v) != "3" {
		t.Errorf("SetMany without batches: %q, %v", v, err)
	}
}

// sweeper is a backend whose Sweep reports 7.
type sweeper struct{ backends.Backend }

func (sweeper) Sweep(context.Context) (int, error) { return 7, nil }
