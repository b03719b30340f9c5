package cachedhttp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/backends/memory"
)

func TestMaintenanceAfterCloseReturnsErrClosed(t *testing.T) {
	tr, err := NewTransport(WithBackend(memory.New(memory.Options{})))
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	checks := map[string]error{
		"Delete":    tr.Delete(ctx, "k"),
		"DeleteURL": tr.DeleteURL(ctx, "http://example.com/", nil),
		"Clear":     tr.Clear(ctx),
	}
	_, checks["DeleteExpired"] = tr.DeleteExpired(ctx)
	_, checks["Record"] = tr.Record(ctx, "k")
	for r := range tr.Records(ctx) {
		checks["Records"] = r.Err
	}
	for name, err := range checks {
		if !errors.Is(err, ErrClosed) {
			t.Errorf("%s after Close: %v, want ErrClosed", name, err)
		}
	}
}

func TestNewTransportRefusesSessionOption(t *testing.T) {
	_, err := NewTransport(WithSessionPath(filepath.Join(t.TempDir(), "x.db")))
	if !errors.Is(err, ErrSessionOption) {
		t.Fatalf("NewTransport(WithSessionPath) = %v, want ErrSessionOption", err)
	}
}

func TestKeyOfTooLargeBody(t *testing.T) {
	tr, err := NewTransport(WithMaxBodySize(4), WithMethods("GET", "POST"))
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	req, _ := http.NewRequest("POST", "http://example.com/", http.NoBody)
	req.Body = http.NoBody
	if _, err := tr.Key(req); err != nil {
		t.Fatalf("empty body: %v", err)
	}
	req, _ = http.NewRequest("POST", "http://example.com/", stringsReader("0123456789"))
	if _, err := tr.Key(req); !errors.Is(err, ErrBodyTooLarge) {
		t.Fatalf("Key of a 10-byte body with a 4-byte bound = %v, want ErrBodyTooLarge", err)
	}
}

func stringsReader(s string) io.Reader { return strings.NewReader(s) }

// corruptScan is a store whose Scan reports one damaged record (with
// backends.ErrCorrupt) among good ones, as bbolt and filesystem do.
type corruptScan struct{ backends.Backend }

func (c corruptScan) Scan(ctx context.Context) iter.Seq2[backends.Entry, error] {
	return func(yield func(backends.Entry, error) bool) {
		if !yield(backends.Entry{Key: "damaged", Size: -1}, fmt.Errorf("bad bytes: %w", backends.ErrCorrupt)) {
			return
		}
		for e, err := range c.Backend.Scan(ctx) {
			if !yield(e, err) {
				return
			}
		}
	}
}

// One damaged record does not stop maintenance: Records reports it and goes
// on, DeleteExpired deletes it.
func TestMaintenanceGoesOnPastACorruptRecord(t *testing.T) {
	be := corruptScan{memory.New(memory.Options{})}
	h := newHarness(t, counter("max-age=60"), WithBackend(be), WithWriteQueue(0))
	h.get("/good")
	ctx := context.Background()
	var good, bad int
	for r := range h.tr.Records(ctx) {
		switch {
		case r.Err != nil && r.Key == "damaged" && errors.Is(r.Err, backends.ErrCorrupt):
			bad++
		case r.Err == nil:
			good++
		default:
			t.Fatalf("unexpected record %+v", r)
		}
	}
	if good != 1 || bad != 1 {
		t.Fatalf("Records: %d good, %d damaged; want 1, 1", good, bad)
	}
	if n, err := h.tr.DeleteExpired(ctx); err != nil || n != 1 {
		t.Fatalf("DeleteExpired = %d, %v; want the damaged record deleted", n, err)
	}
}
