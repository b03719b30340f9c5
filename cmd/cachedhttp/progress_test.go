package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"
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
