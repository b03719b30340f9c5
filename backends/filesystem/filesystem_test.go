package filesystem_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/backends/backendtest"
	"github.com/cachedhttp/cachedhttp/backends/filesystem"
)

func open(t testing.TB, opts *filesystem.Options) *filesystem.Backend {
	t.Helper()
	b, err := filesystem.Open(filepath.Join(t.TempDir(), "cache"), opts)
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
} = (*filesystem.Backend)(nil)

func TestConformance(t *testing.T) {
	backendtest.Run(t, func(t *testing.T) backends.Backend { return open(t, nil) }, backendtest.Options{Corrupt: filesystem.Corrupt})
}

func TestConformanceBounded(t *testing.T) {
	backendtest.Run(t, func(t *testing.T) backends.Backend {
		return open(t, &filesystem.Options{MaxBytes: 64 << 20, MaxEntries: 100000})
	}, backendtest.Options{Corrupt: filesystem.Corrupt})
}

func TestLayoutAndModes(t *testing.T) {
	ctx := context.Background()
	root := filepath.Join(t.TempDir(), "x", "cache")
	b, err := filesystem.Open(root, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.Set(ctx, "key", []byte("value"), 0); err != nil {
		t.Fatal(err)
	}
	sum := fmt.Sprintf("%x", sha256.Sum256([]byte("key")))
	file := filepath.Join(root, sum[:2], sum[2:4], sum)
	if got := b.File("key"); got != file {
		t.Errorf("File(key) = %q; want %q", got, file)
	}
	tests := []struct {
		path string
		want os.FileMode
	}{
		{filepath.Dir(root), 0o700 | os.ModeDir},
		{root, 0o700 | os.ModeDir},
		{filepath.Join(root, sum[:2]), 0o700 | os.ModeDir},
		{filepath.Join(root, sum[:2], sum[2:4]), 0o700 | os.ModeDir},
		{file, 0o600},
	}
	for _, tt := range tests {
		t.Run(strings.TrimPrefix(tt.path, filepath.Dir(root)), func(t *testing.T) {
			fi, err := os.Stat(tt.path)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode() != tt.want {
				t.Errorf("mode %v; want %v", fi.Mode(), tt.want)
			}
		})
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(raw, []byte("CHFS\x01")) || !bytes.HasSuffix(raw, []byte("keyvalue")) {
		t.Errorf("file content %q; want the CHFS header, the key, then the value", raw)
	}
}

// TestAtomicReplace hammers one key with writers of different-length,
// self-validating values while readers check every value they read is one
// a writer wrote whole.
func TestAtomicReplace(t *testing.T) {
	ctx := context.Background()
	b := open(t, nil)
	valid := func(v []byte) bool {
		if len(v) < 1 {
			return false
		}
		// A value is n copies of the byte n (mod 256) with length n*37+1.
		n := int(v[0])
		return len(v) == n*37+1 && bytes.Count(v, v[:1]) == len(v)
	}
	value := func(n int) []byte { return bytes.Repeat([]byte{byte(n)}, n*37+1) }
	if err := b.Set(ctx, "k", value(1), 0); err != nil {
		t.Fatal(err)
	}
	iterations := 300
	if testing.Short() {
		iterations = 60
	}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range iterations {
				if err := b.Set(ctx, "k", value((w*iterations+i)%250+1), 0); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	var reads sync.WaitGroup
	done := make(chan struct{})
	for range 4 {
		reads.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				v, err := b.Get(ctx, "k")
				if err != nil {
					t.Errorf("Get during replacement: %v", err)
					return
				}
				if !valid(v) {
					t.Errorf("Get returned a torn value of %d bytes", len(v))
					return
				}
			}
		})
	}
	wg.Wait()
	close(done)
	reads.Wait()
	// No temporary file is left behind.
	filepath.WalkDir(b.Dir(), func(path string, d os.DirEntry, err error) error {
		if err == nil && strings.HasPrefix(d.Name(), ".tmp-") {
			t.Errorf("temporary file left: %s", path)
		}
		return nil
	})
}

func TestExpiredAndCorruptFilesAreDeleted(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		corrupt func(path string) error
	}{
		{"expired on read", nil},
		{"truncated", func(p string) error { return os.Truncate(p, 30) }},
		{"extended", func(p string) error {
			f, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = f.Write([]byte("junk"))
			return err
		}},
		{"foreign", func(p string) error { return os.WriteFile(p, []byte("<html>not an entry</html>"), 0o600) }},
		{"empty", func(p string) error { return os.WriteFile(p, nil, 0o600) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := open(t, nil)
			ttl := time.Duration(0)
			if tt.corrupt == nil {
				ttl = time.Nanosecond
			}
			if err := b.Set(ctx, "k", []byte("value"), ttl); err != nil {
				t.Fatal(err)
			}
			if tt.corrupt != nil {
				if err := tt.corrupt(b.File("k")); err != nil {
					t.Fatal(err)
				}
			} else {
				time.Sleep(time.Millisecond)
			}
			_, err := b.Get(ctx, "k")
			if !errors.Is(err, backends.ErrNotFound) {
				t.Fatalf("Get = %v; want ErrNotFound", err)
			}
			if tt.corrupt != nil && !errors.Is(err, filesystem.ErrCorrupt) {
				t.Errorf("Get of a corrupt file = %v; want it to match ErrCorrupt too", err)
			}
			if _, err := os.Stat(b.File("k")); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("file still there after Get: %v", err)
			}
		})
	}
}

func TestSweep(t *testing.T) {
	ctx := context.Background()
	b := open(t, nil)
	for i := range 50 {
		if err := b.Set(ctx, fmt.Sprint("expired-", i), []byte("v"), time.Nanosecond); err != nil {
			t.Fatal(err)
		}
	}
	for _, k := range []string{"live", "forever", "corrupt"} {
		if err := b.Set(ctx, k, []byte("v"), time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(b.File("corrupt"), []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	oldTemp := filepath.Join(filepath.Dir(b.File("live")), ".tmp-crashed")
	newTemp := filepath.Join(filepath.Dir(b.File("live")), ".tmp-writing")
	for _, p := range []string{oldTemp, newTemp} {
		if err := os.WriteFile(p, []byte("partial"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chtimes(oldTemp, time.Now().Add(-2*time.Hour), time.Now().Add(-2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	foreign := filepath.Join(b.Dir(), "README")
	if err := os.WriteFile(foreign, []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Millisecond)
	n, err := b.Sweep(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n != 51 {
		t.Errorf("Sweep deleted %d entries; want 51 (50 expired, 1 corrupt)", n)
	}
	var keys []string
	for k, err := range backends.Keys(ctx, b) {
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	if len(keys) != 2 {
		t.Errorf("keys after Sweep = %q; want live and forever", keys)
	}
	for _, tt := range []struct {
		path string
		want bool
	}{{oldTemp, false}, {newTemp, true}, {foreign, true}} {
		if _, err := os.Stat(tt.path); (err == nil) != tt.want {
			t.Errorf("%s exists = %v; want %v", filepath.Base(tt.path), err == nil, tt.want)
		}
	}
	if err := b.Clear(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(foreign); err != nil {
		t.Errorf("Clear removed a file that is not an entry: %v", err)
	}
}

func TestBounds(t *testing.T) {
	ctx := context.Background()
	const value = 100 // each file: 25-byte header + 3-byte key + 100
	const fileSize = 25 + 3 + value
	tests := []struct {
		name     string
		opts     filesystem.Options
		expired  []string // set first with a 1ns TTL
		n        int      // then k00..k(n-1), each older than the next
		wantKept int      // the newest wantKept survive
	}{
		{name: "max entries prunes the oldest to 90%", opts: filesystem.Options{MaxEntries: 10}, n: 11, wantKept: 9},
		{name: "max bytes prunes the oldest to 90%", opts: filesystem.Options{MaxBytes: 10 * fileSize}, n: 11, wantKept: 9},
		{name: "within bounds nothing goes", opts: filesystem.Options{MaxEntries: 10}, n: 10, wantKept: 10},
		{name: "expired files go before live ones", opts: filesystem.Options{MaxEntries: 10}, expired: []string{"e00", "e01"}, n: 9, wantKept: 9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := open(t, &tt.opts)
			for _, k := range tt.expired {
				if err := b.Set(ctx, k, make([]byte, value), time.Nanosecond); err != nil {
					t.Fatal(err)
				}
			}
			base := time.Now().Add(-time.Hour)
			for i := range tt.n {
				k := fmt.Sprintf("k%02d", i)
				if err := b.Set(ctx, k, make([]byte, value), 0); err != nil {
					t.Fatal(err)
				}
				// File times are coarse (a few ms): make the order explicit.
				mt := base.Add(time.Duration(i) * time.Minute)
				if i < tt.n-1 {
					if err := os.Chtimes(b.File(k), mt, mt); err != nil {
						t.Fatal(err)
					}
				}
			}
			for i := range tt.n {
				k := fmt.Sprintf("k%02d", i)
				_, err := b.Get(ctx, k)
				if kept := i >= tt.n-tt.wantKept; kept != (err == nil) {
					t.Errorf("Get(%q) = %v; want kept=%v", k, err, kept)
				}
			}
			for _, k := range tt.expired {
				if _, err := os.Stat(b.File(k)); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("expired %q still on disk: %v", k, err)
				}
			}
		})
	}
	for _, touch := range []bool{false, true} {
		name := "without touch the least recently written goes"
		if touch {
			name = "touch on get makes a read entry recently used"
		}
		t.Run(name, func(t *testing.T) {
			b := open(t, &filesystem.Options{MaxEntries: 3, TouchOnGet: touch})
			for i, k := range []string{"a", "b", "c"} {
				if err := b.Set(ctx, k, []byte("v"), 0); err != nil {
					t.Fatal(err)
				}
				mt := time.Now().Add(time.Duration(i-3) * time.Hour)
				if err := os.Chtimes(b.File(k), mt, mt); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := b.Get(ctx, "a"); err != nil {
				t.Fatal(err)
			}
			// A fourth entry prunes to 90% of 3: two go.
			if err := b.Set(ctx, "d", []byte("v"), 0); err != nil {
				t.Fatal(err)
			}
			want := map[string]bool{"a": touch, "b": false, "c": !touch, "d": true}
			for k, kept := range want {
				if _, err := b.Get(ctx, k); (err == nil) != kept {
					t.Errorf("Get(%q) = %v; want kept=%v", k, err, kept)
				}
			}
		})
	}
	t.Run("a file over max bytes is refused", func(t *testing.T) {
		b := open(t, &filesystem.Options{MaxBytes: 100})
		err := b.Set(ctx, "k", make([]byte, 100), 0)
		if !errors.Is(err, backends.ErrTooLarge) {
			t.Fatalf("Set = %v; want ErrTooLarge", err)
		}
	})
	t.Run("files already there count at open", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "c")
		b, err := filesystem.Open(dir, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 5 {
			if err := b.Set(ctx, fmt.Sprint("k", i), []byte("v"), 0); err != nil {
				t.Fatal(err)
			}
		}
		b, err = filesystem.Open(dir, &filesystem.Options{MaxEntries: 5})
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Set(ctx, "one more", []byte("v"), 0); err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, err := range b.Scan(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			n++
		}
		if n != 4 {
			t.Errorf("%d entries after a sixth Set with max 5; want 4 (pruned to 90%%)", n)
		}
	})
}

func TestOpenDSN(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name    string
		dsn     string
		wantErr string
	}{
		{name: "file scheme", dsn: "file://" + filepath.Join(dir, "a")},
		{name: "filesystem scheme", dsn: "filesystem://" + filepath.Join(dir, "b")},
		{name: "localhost host", dsn: "file://localhost" + filepath.Join(dir, "c")},
		{name: "all parameters", dsn: "file://" + filepath.Join(dir, "d") + "?max_bytes=1000000&max_entries=100&sync=1&touch=true"},
		{name: "unknown parameter", dsn: "file://" + filepath.Join(dir, "e") + "?threshold=5", wantErr: `unknown DSN parameter "threshold"`},
		{name: "bad number", dsn: "file://" + filepath.Join(dir, "f") + "?max_entries=many", wantErr: "max_entries"},
		{name: "host instead of path", dsn: "file://cache/dir", wantErr: "file:///absolute/dir"},
		{name: "no path", dsn: "filesystem://", wantErr: "names no directory"},
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
			if _, ok := b.(*filesystem.Backend); !ok {
				t.Fatalf("Open returned %T", b)
			}
		})
	}
	t.Run("relative path", func(t *testing.T) {
		t.Chdir(t.TempDir())
		b, err := backends.Open(context.Background(), "file:sub/cache")
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		if got := b.(*filesystem.Backend).Dir(); got != "sub/cache" {
			t.Errorf("Dir() = %q; want sub/cache", got)
		}
	})
	t.Run("max_entries applies", func(t *testing.T) {
		ctx := context.Background()
		b, err := backends.Open(ctx, "file://"+filepath.Join(dir, "g")+"?max_entries=1")
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		_ = b.Set(ctx, "a", []byte("v"), 0)
		_ = b.Set(ctx, "b", []byte("v"), 0)
		n := 0
		for range backends.Keys(ctx, b) {
			n++
		}
		if n > 1 {
			t.Errorf("max_entries=1 kept %d entries", n)
		}
	})
}

func benchmarkGet(b *testing.B, size int) {
	ctx := context.Background()
	fb := open(b, nil)
	if err := fb.Set(ctx, "key", make([]byte, size), 0); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(size))
	for b.Loop() {
		if _, err := fb.Get(ctx, "key"); err != nil {
			b.Fatal(err)
		}
	}
}

func benchmarkSet(b *testing.B, size int) {
	ctx := context.Background()
	fb := open(b, nil)
	v := make([]byte, size)
	b.ReportAllocs()
	b.SetBytes(int64(size))
	i := 0
	for b.Loop() {
		if err := fb.Set(ctx, fmt.Sprint("key-", i%1000), v, time.Hour); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "entries/s")
}

func BenchmarkGetHit1KiB(b *testing.B) { benchmarkGet(b, 1<<10) }
func BenchmarkGetHit1MiB(b *testing.B) { benchmarkGet(b, 1<<20) }
func BenchmarkSet1KiB(b *testing.B)    { benchmarkSet(b, 1<<10) }
func BenchmarkSet1MiB(b *testing.B)    { benchmarkSet(b, 1<<20) }
