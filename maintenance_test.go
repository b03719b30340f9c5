package cachedhttp

import (
	"context"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

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
