package serializers_test

import (
	"bytes"
	"errors"
	"flag"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cachedhttp/cachedhttp/models"
)

var update = flag.Bool("update", false, "write golden records that do not exist yet (never overwrites)")

// goldenDir holds one directory per format version and pipeline, with one
// record per golden response. Goldens are append-only: see FORMAT.md.
const goldenDir = "../testdata/serializers"

// goldenResponses are the responses the golden records hold. Never change
// one: add a new name instead.
func goldenResponses() map[string]*models.Response {
	t0 := time.Date(2026, 5, 17, 10, 11, 12, 123456789, time.UTC)
	return map[string]*models.Response{
		"full": {
			StatusCode: 200, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header: http.Header{
				"Content-Type":  {"text/html; charset=utf-8"},
				"Cache-Control": {"max-age=3600", "public"},
				"Set-Cookie":    {"b=2", "a=1"},
				"Etag":          {`"v1"`},
				"Empty":         {},
			},
			Trailer: http.Header{"Server-Timing": {"db;dur=53"}},
			Body:    bytes.Repeat([]byte("<p>golden record body, compressible &amp; stable</p>\n"), 40),
			Request: models.Request{Method: "GET", URL: "https://example.com/golden?a=1&b=2",
				Header: http.Header{"Accept": {"text/html"}}},
			RequestTime: t0, ResponseTime: t0.Add(1500 * time.Microsecond), Created: t0,
			Expires: t0.Add(time.Hour), StaleUntil: t0.Add(25 * time.Hour), Revalidate: true,
		},
		"binary": {
			StatusCode: 206, Proto: "HTTP/2.0", ProtoMajor: 2,
			Header: http.Header{"Content-Type": {"image/png"}, "Content-Range": {"bytes 0-9/100"}},
			Body:   []byte{0x89, 'P', 'N', 'G', 0, 1, 2, 0xfe, 0xff, 0x80},
			Request: models.Request{Method: "GET", URL: "https://example.com/i.png",
				Header: http.Header{}},
			Created: t0.Add(-time.Nanosecond),
		},
		"varyindex": {
			VaryIndex: []string{"Accept-Encoding", "Accept-Language"},
			Created:   t0, Expires: t0.Add(time.Minute),
		},
		"empty": {StatusCode: 204, Header: http.Header{}, Body: []byte{}},
	}
}

// TestGoldenRecords decodes every golden record with the pipeline that
// wrote it and compares it with the response it was written from, so that a
// change that stops old records from reading fails here. With -update it
// first writes the goldens that do not exist yet.
func TestGoldenRecords(t *testing.T) {
	for _, spec := range allSpecs() {
		for name, want := range goldenResponses() {
			path := filepath.Join(goldenDir, "v1", spec.String(), name+".rec")
			t.Run(spec.String()+"/"+name, func(t *testing.T) {
				p := spec.build(t, true)
				if *update {
					if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
						rec, err := p.Marshal(want)
						if err != nil {
							t.Fatal(err)
						}
						if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
							t.Fatal(err)
						}
						if err := os.WriteFile(path, rec, 0o644); err != nil {
							t.Fatal(err)
						}
					}
				}
				rec, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("golden record missing (run go test -run TestGoldenRecords -update): %v", err)
				}
				got, err := p.Unmarshal(rec)
				if err != nil {
					t.Fatalf("golden record no longer decodes: %v", err)
				}
				if d := diffResponses(want, got); d != "" {
					t.Fatalf("golden record decodes to a different response:\n%s", d)
				}
			})
		}
	}
}

// TestGoldenRecordsAreComplete fails when a golden directory holds a file
// that no test reads, e.g. a pipeline renamed without keeping its goldens.
func TestGoldenRecordsAreComplete(t *testing.T) {
	known := map[string]bool{}
	for _, spec := range allSpecs() {
		for name := range goldenResponses() {
			known[filepath.Join(goldenDir, "v1", spec.String(), name+".rec")] = true
		}
	}
	n := 0
	err := filepath.WalkDir(filepath.Join(goldenDir, "v1"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		n++
		if !known[path] {
			t.Errorf("golden record %s is not read by TestGoldenRecords", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != len(known) {
		t.Errorf("found %d golden records, want %d", n, len(known))
	}
}
