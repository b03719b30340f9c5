package bbolt_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	berrors "go.etcd.io/bbolt/errors"

	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/backends/backendtest"
	"github.com/cachedhttp/cachedhttp/backends/bbolt"
)

func open(t testing.TB, opts *bbolt.Options) *bbolt.Backend {
	t.Helper()
	b, err := bbolt.Open(filepath.Join(t.TempDir(), "cache.db"), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

// The backend implements the atomic interfaces: the suite runs their
// checks only for a backend that does, so a lost method must not pass
// unnoticed.
var _ interface {
	backends.Adder
	backends.Incrementer
} = (*bbolt.Backend)(nil)

// TestConformance runs the suite with NoSync: it checks semantics, which
// NoSync does not change, and two fsyncs per commit would make it take
// half a minute on a slow disk. The other tests use the default (synced).
func TestConformance(t *testing.T) {
	backendtest.Run(t, func(t *testing.T) backends.Backend {
		return open(t, &bbolt.Options{NoSync: true})
	}, backendtest.Options{Corrupt: bbolt.Corrupt})
}

func TestConformanceNoSyncWithBound(t *testing.T) {
	backendtest.Run(t, func(t *testing.T) backends.Backend {
		return open(t, &bbolt.Options{NoSync: true, MaxBytes: 2 << 20})
	}, backendtest.Options{MaxValue: 2<<20 - len("round-trip-2097152"), Corrupt: bbolt.Corrupt})
}

func TestOpenLockedFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cache.db")
	first, err := bbolt.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	second, err := bbolt.Open(path, &bbolt.Options{Timeout: 100 * time.Millisecond})
	if err == nil {
		second.Close()
		t.Fatal("a second Open of a file held open succeeded; want ErrLocked")
	}
	if !errors.Is(err, bbolt.ErrLocked) || !errors.Is(err, berrors.ErrTimeout) {
		t.Errorf("error %v does not match ErrLocked and bbolt's ErrTimeout", err)
	}
	for _, want := range []string{path, "locked"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	third, err := bbolt.Open(path, nil)
	if err != nil {
		t.Fatalf("Open after the holder closed: %v", err)
	}
	third.Close()
}

func TestFileModes(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a", "b", "cache.db")
	b, err := bbolt.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if b.Path() != path {
		t.Errorf("Path() = %q; want %q", b.Path(), path)
	}
	tests := []struct {
		path string
		want os.FileMode
	}{
		{filepath.Join(dir, "a"), 0o700 | os.ModeDir},
		{filepath.Join(dir, "a", "b"), 0o700 | os.ModeDir},
		{path, 0o600},
	}
	for _, tt := range tests {
		t.Run(strings.TrimPrefix(tt.path, dir), func(t *testing.T) {
			fi, err := os.Stat(tt.path)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode() != tt.want {
				t.Errorf("mode %v; want %v", fi.Mode(), tt.want)
			}
		})
	}
}

func TestPageSize(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cache.db")
	for _, tt := range []struct {
		name string
		size int
		want int
	}{
		{"a new file gets the default", 0, bbolt.DefaultPageSize},
		{"an existing file keeps its own", 4096, bbolt.DefaultPageSize},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b, err := bbolt.Open(path, &bbolt.Options{PageSize: tt.size})
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			if got := bbolt.PageSize(b); got != tt.want {
				t.Errorf("page size %d; want %d", got, tt.want)
			}
		})
	}
	for _, size := range []int{512, 3000, 128 << 10} {
		t.Run(fmt.Sprint("refused ", size), func(t *testing.T) {
			_, err := bbolt.Open(filepath.Join(t.TempDir(), "cache.db"), &bbolt.Options{PageSize: size})
			if err == nil || !strings.Contains(err.Error(), fmt.Sprint("page size ", size)) {
				t.Errorf("Open with page size %d = %v; want an error naming it", size, err)
			}
		})
	}
}

func TestReopenKeepsValues(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "cache.db")
	b, err := bbolt.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Set(ctx, "k", []byte("value"), time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	b, err = bbolt.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	got, err := b.Get(ctx, "k")
	if err != nil || string(got) != "value" {
		t.Fatalf("Get after reopen = %q, %v; want value", got, err)
	}
}

// bbolt grows the file ahead in steps; Close cuts it back to its last
// page, and the file opens and grows again as usual.
func TestCloseTrimsTheFile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "cache.db")
	b, err := bbolt.Open(path, &bbolt.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	value := make([]byte, 3000)
	const n = 1000 // about 3 MB: past the first growth steps
	for i := range n {
		if err := b.Set(ctx, fmt.Sprint("k", i), value, 0); err != nil {
			t.Fatal(err)
		}
	}
	before, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	used := bbolt.FileUsage(t, b).HighWater
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	after, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if after.Size() != used || before.Size() <= used {
		t.Errorf("file of %d bytes, %d used, is %d bytes after Close; want it cut to %d", before.Size(), used, after.Size(), used)
	}
	if b, err = bbolt.Open(path, nil); err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for i := range n + 100 {
		if i >= n {
			if err := b.Set(ctx, fmt.Sprint("k", i), value, 0); err != nil {
				t.Fatal(err)
			}
		}
		if got, err := b.Get(ctx, fmt.Sprint("k", i)); err != nil || len(got) != len(value) {
			t.Fatalf("Get(k%d) after reopening the cut file = %d bytes, %v", i, len(got), err)
		}
	}
}

func TestGetCopiesOutOfTheMap(t *testing.T) {
	ctx := context.Background()
	b := open(t, nil)
	if err := b.Set(ctx, "k", []byte("value"), 0); err != nil {
		t.Fatal(err)
	}
	got, err := b.Get(ctx, "k")
	if err != nil {
		t.Fatal(err)
	}
	// Closing unmaps the file: a slice pointing into the map would fault.
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if string(got) != "value" {
		t.Errorf("value after Close = %q", got)
	}
}

func TestSweep(t *testing.T) {
	ctx := context.Background()
	b := open(t, &bbolt.Options{NoSync: true})
	set := func(k string, ttl time.Duration) {
		t.Helper()
		if err := b.Set(ctx, k, []byte("v"), ttl); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 1200 {
		set(fmt.Sprint("expired-", i), time.Nanosecond)
	}
	set("live", time.Hour)
	set("forever", 0)
	set("overwritten", time.Nanosecond)
	set("overwritten", 0) // its old expiry index entry must not delete it
	time.Sleep(time.Millisecond)
	n, err := b.Sweep(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n != 1200 {
		t.Errorf("Sweep deleted %d; want 1200", n)
	}
	var keys []string
	for k, err := range backends.Keys(ctx, b) {
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	if want := []string{"forever", "live", "overwritten"}; fmt.Sprint(keys) != fmt.Sprint(want) {
		t.Errorf("keys after Sweep = %q; want %q", keys, want)
	}
	if n, err := b.Sweep(ctx); err != nil || n != 0 {
		t.Errorf("second Sweep = %d, %v; want 0, nil", n, err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := b.Sweep(cancelled); !errors.Is(err, context.Canceled) {
		t.Errorf("Sweep with a cancelled context = %v", err)
	}
}

func TestOpenDSN(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name    string
		dsn     string
		wantErr string
	}{
		{name: "absolute path", dsn: "bbolt://" + filepath.Join(dir, "a.db")},
		{name: "all parameters", dsn: "bbolt://" + filepath.Join(dir, "b.db") + "?timeout=2s&max_bytes=1000000&nosync=true&page_size=4096"},
		{name: "unknown parameter", dsn: "bbolt://" + filepath.Join(dir, "c.db") + "?size=1", wantErr: `unknown DSN parameter "size"`},
		{name: "bad duration", dsn: "bbolt://" + filepath.Join(dir, "d.db") + "?timeout=soon", wantErr: "timeout"},
		{name: "bad page size", dsn: "bbolt://" + filepath.Join(dir, "g.db") + "?page_size=3000", wantErr: "page size 3000"},
		{name: "bad bool", dsn: "bbolt://" + filepath.Join(dir, "e.db") + "?nosync=maybe", wantErr: "nosync"},
		{name: "host instead of path", dsn: "bbolt://cache.db", wantErr: "bbolt:///absolute/path"},
		{name: "no path", dsn: "bbolt://", wantErr: "names no file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := backends.Open(context.Background(), tt.dsn)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Open(%q) = %v; want an error mentioning %q", tt.dsn, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Open(%q): %v", tt.dsn, err)
			}
			defer b.Close()
			if _, ok := b.(*bbolt.Backend); !ok {
				t.Fatalf("Open returned %T", b)
			}
		})
	}
	t.Run("relative path", func(t *testing.T) {
		t.Chdir(t.TempDir())
		b, err := backends.Open(context.Background(), "bbolt:sub/cache.db")
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		if _, err := os.Stat(filepath.Join("sub", "cache.db")); err != nil {
			t.Errorf("bbolt:sub/cache.db did not create sub/cache.db: %v", err)
		}
	})
	t.Run("max_bytes applies", func(t *testing.T) {
		ctx := context.Background()
		b, err := backends.Open(ctx, "bbolt://"+filepath.Join(dir, "f.db")+"?max_bytes=10")
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		if err := b.Set(ctx, "k", make([]byte, 10), 0); !errors.Is(err, backends.ErrTooLarge) {
			t.Errorf("Set over max_bytes=10 = %v; want ErrTooLarge", err)
		}
	})
}
