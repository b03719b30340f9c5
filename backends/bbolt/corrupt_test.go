package bbolt_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/backends/bbolt"
)

func TestCorruptFile(t *testing.T) {
	ctx := context.Background()
	t.Run("not a bbolt file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "cache.db")
		if err := os.WriteFile(path, []byte(strings.Repeat("not a database ", 1000)), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := bbolt.Open(path, nil)
		if err == nil || !strings.Contains(err.Error(), path) {
			t.Fatalf("Open of a foreign file = %v; want an error naming the path", err)
		}
	})
	t.Run("newer format version", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "cache.db")
		bbolt.RawPut(t, path, "meta", "version", "\x00\x00\x00\x00\x00\x00\x00\x63")
		_, err := bbolt.Open(path, nil)
		if !errors.Is(err, bbolt.ErrCorrupt) {
			t.Fatalf("Open of a newer format = %v; want ErrCorrupt", err)
		}
	})
	t.Run("a record whose value is missing is a miss, deleted", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "cache.db")
		b, err := bbolt.Open(path, nil)
		if err != nil {
			t.Fatal(err)
		}
		b.Close()
		// A header (no expiry, sequence number 999999) naming no value.
		bbolt.RawPut(t, path, "entries", "kghost", "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x0f\x42\x3f")
		b, err = bbolt.Open(path, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		for e, err := range b.Scan(ctx) {
			if !errors.Is(err, backends.ErrCorrupt) || e.Key != "ghost" || !strings.Contains(err.Error(), "999999") {
				t.Errorf("Scan over a record without its value yielded %q, %v; want it with ErrCorrupt", e.Key, err)
			}
		}
		if _, err := b.Get(ctx, "ghost"); !errors.Is(err, bbolt.ErrCorrupt) || !errors.Is(err, backends.ErrNotFound) {
			t.Errorf("Get of a record without its value = %v; want ErrCorrupt and ErrNotFound", err)
		}
		for e, err := range b.Scan(ctx) {
			t.Errorf("Scan after Get deleted the record yielded %q, %v", e.Key, err)
		}
	})
	t.Run("short record is a miss, deleted, and no end of the scan", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "cache.db")
		b, err := bbolt.Open(path, nil)
		if err != nil {
			t.Fatal(err)
		}
		b.Close()
		bbolt.RawPut(t, path, "entries", "kbad", "short")
		b, err = bbolt.Open(path, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		for e, err := range b.Scan(ctx) {
			if !errors.Is(err, bbolt.ErrCorrupt) || !errors.Is(err, backends.ErrCorrupt) || e.Key != "bad" {
				t.Errorf("Scan over a short record yielded %q, %v; want it with ErrCorrupt", e.Key, err)
			}
		}
		if _, err := b.Get(ctx, "bad"); !errors.Is(err, bbolt.ErrCorrupt) || !errors.Is(err, backends.ErrNotFound) {
			t.Errorf("Get of a short record = %v; want ErrCorrupt and ErrNotFound", err)
		}
		for e, err := range b.Scan(ctx) {
			t.Errorf("Scan after Get deleted the short record yielded %q, %v", e.Key, err)
		}
		if err := b.Set(ctx, "bad", []byte("good"), 0); err != nil {
			t.Fatalf("Set over a short record: %v", err)
		}
		if got, err := b.Get(ctx, "bad"); err != nil || string(got) != "good" {
			t.Errorf("Get after repairing Set = %q, %v", got, err)
		}
	})
}

// A bbolt key that is not one this package writes cannot name its cache
// key: Scan yields it with an empty Key and goes on to the good ones.
func TestScanGoesOnPastAForeignKey(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "cache.db")
	b, err := bbolt.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Set(ctx, "good", []byte("v"), 0); err != nil {
		t.Fatal(err)
	}
	b.Close()
	bbolt.RawPut(t, path, "entries", "\x00foreign", "whatever")
	if b, err = bbolt.Open(path, nil); err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var good, bad int
	for e, err := range b.Scan(ctx) {
		switch {
		case err == nil && e.Key == "good":
			good++
		case errors.Is(err, backends.ErrCorrupt) && e.Key == "" && e.Size == -1:
			bad++
		default:
			t.Fatalf("Scan yielded %+v, %v", e, err)
		}
	}
	if good != 1 || bad != 1 {
		t.Fatalf("Scan yielded %d good and %d damaged entries; want one of each", good, bad)
	}
}
