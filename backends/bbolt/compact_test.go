package bbolt_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/backends/bbolt"
)

// compactValue is the value the fills below store under key: distinct per
// key, so a value copied under the wrong key is caught.
func compactValue(key string, n int) []byte {
	v := bytes.Repeat([]byte(key+"|"), n/(len(key)+1)+1)
	return v[:n]
}

// fillFile writes to a new file at path the keys live (no expiry) and
// expiring (a 1 ns TTL, expired by the time anything reads them), then
// closes it.
func fillFile(t *testing.T, path string, opts *bbolt.Options, live, expiring []string) {
	t.Helper()
	ctx := context.Background()
	b, err := bbolt.Open(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	items := make([]backends.Item, 0, len(live)+len(expiring))
	// Live keys first: they get the lowest sequence numbers, which a
	// compacted file that forgot its sequence would hand out again.
	for _, k := range live {
		items = append(items, backends.Item{Key: k, Value: compactValue(k, 1000)})
	}
	for _, k := range expiring {
		items = append(items, backends.Item{Key: k, Value: compactValue(k, 1000), TTL: time.Nanosecond})
	}
	for len(items) > 0 {
		n := min(len(items), 64)
		if err := b.SetMany(ctx, items[:n]); err != nil {
			t.Fatal(err)
		}
		items = items[n:]
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
}

// compactFile compacts the closed file at path and returns what Compact
// reported and the file's size after it.
func compactFile(t *testing.T, path string) (bbolt.Compaction, int64) {
	t.Helper()
	c, err := bbolt.Compact(context.Background(), path, nil)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return c, fi.Size()
}

// reopen opens the file at path after a compaction; the test closes it.
func reopen(t *testing.T, path string, opts *bbolt.Options) *bbolt.Backend {
	t.Helper()
	b, err := bbolt.Open(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

// checkValues fails t unless b holds exactly want's keys with their fill
// values and none of gone.
func checkValues(t *testing.T, b *bbolt.Backend, want, gone []string) {
	t.Helper()
	ctx := context.Background()
	for _, k := range want {
		v, err := b.Get(ctx, k)
		if err != nil {
			t.Fatalf("Get(%q) after compaction: %v", k, err)
		}
		if !bytes.Equal(v, compactValue(k, 1000)) {
			t.Fatalf("Get(%q) after compaction returned another value (%.20q)", k, v)
		}
	}
	for _, k := range gone {
		if _, err := b.Get(ctx, k); !errors.Is(err, backends.ErrNotFound) {
			t.Fatalf("Get(%q) of an expired key after compaction = %v; want ErrNotFound", k, err)
		}
	}
}

// noTempFiles fails t if dir holds anything but the cache file.
func noTempFiles(t *testing.T, dir string) {
	t.Helper()
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, de := range des {
		if de.Name() != "cache.db" {
			t.Errorf("compaction left %s behind", de.Name())
		}
	}
}

func keysNamed(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s-%05d", prefix, i)
	}
	return out
}

func TestCompact(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "cache.db")
	live, expiring := keysNamed("live", 2000), keysNamed("expiring", 3000)
	fillFile(t, path, &bbolt.Options{NoSync: true}, live, expiring)

	c, size := compactFile(t, path)
	if c.Expired != len(expiring) || c.Orphans != 0 || c.After != size || c.Before <= c.After {
		t.Errorf("Compact = %+v (file now %d B); want %d expired, no orphans, a smaller file", c, size, len(expiring))
	}
	// 2,000 values of 1,000 B: full pages hold them in well under 2.5 MB,
	// where the file held 5,000 before.
	if c.After > 2_500_000 {
		t.Errorf("compacted file of 2,000 values of 1,000 B is %d B", c.After)
	}
	noTempFiles(t, dir)

	b := reopen(t, path, nil)
	checkValues(t, b, live, expiring)
	// The sequence numbers go on where they were: new values must not
	// land on the numbers of values already stored.
	more := keysNamed("after", 500)
	for _, k := range more {
		if err := b.Set(ctx, k, compactValue(k, 1000), 0); err != nil {
			t.Fatal(err)
		}
	}
	checkValues(t, b, append(live, more...), nil)
}

func TestCompactLockedFile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "cache.db")
	b, err := bbolt.Open(path, &bbolt.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.Set(ctx, "k", []byte("v"), 0); err != nil {
		t.Fatal(err)
	}
	if _, err := bbolt.Compact(ctx, path, &bbolt.Options{Timeout: -1}); !errors.Is(err, bbolt.ErrLocked) {
		t.Fatalf("Compact of a file another handle holds = %v; want ErrLocked", err)
	}
	if v, err := b.Get(ctx, "k"); err != nil || string(v) != "v" {
		t.Errorf("the open handle after a refused Compact: Get = %q, %v", v, err)
	}
	noTempFiles(t, filepath.Dir(path))
}

// A record that was corrupt is deleted without its value (it cannot name
// it); Compact drops such values. With a size bound, their bytes were
// still counted: the next Open with a bound counts again.
func TestCompactDropsOrphanedValues(t *testing.T) {
	for _, bound := range []int64{0, 1 << 20} {
		t.Run(fmt.Sprint("max_bytes=", bound), func(t *testing.T) {
			ctx := context.Background()
			path := filepath.Join(t.TempDir(), "cache.db")
			live := keysNamed("live", 20)
			fillFile(t, path, &bbolt.Options{NoSync: true, MaxBytes: bound}, append(live, "damaged"), nil)
			b, err := bbolt.Open(path, &bbolt.Options{NoSync: true, MaxBytes: bound})
			if err != nil {
				t.Fatal(err)
			}
			bbolt.Corrupt(t, b, "damaged")
			if _, err := b.Get(ctx, "damaged"); !errors.Is(err, backends.ErrCorrupt) {
				t.Fatalf("Get of a corrupt record = %v; want ErrCorrupt", err)
			}
			if err := b.Close(); err != nil {
				t.Fatal(err)
			}
			c, err := bbolt.Compact(ctx, path, &bbolt.Options{MaxBytes: bound})
			if err != nil {
				t.Fatal(err)
			}
			if c.Orphans != 1 || c.Expired != 0 {
				t.Errorf("Compact = %+v; want the one orphaned value dropped", c)
			}
			b = reopen(t, path, &bbolt.Options{NoSync: true, MaxBytes: bound})
			checkValues(t, b, live, []string{"damaged"})
			if bound == 0 {
				return
			}
			// The count is right again: a bound of 1 MiB holds about
			// 1,000 values of 1,000 B, and writing 1,200 more evicts
			// the oldest, the 20 of the fill among them.
			newer := keysNamed("newer", 1200)
			for _, k := range newer {
				if err := b.Set(ctx, k, compactValue(k, 1000), 0); err != nil {
					t.Fatal(err)
				}
			}
			checkValues(t, b, newer[len(newer)-900:], live)
		})
	}
}

func TestCompactCancelledLeavesTheFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "cache.db")
	live := keysNamed("live", 300)
	fillFile(t, path, &bbolt.Options{NoSync: true}, live, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := bbolt.Compact(ctx, path, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("Compact with a cancelled context = %v; want context.Canceled", err)
	}
	noTempFiles(t, dir)
	b := reopen(t, path, nil)
	checkValues(t, b, live, nil)
}

func TestCompactMissingFileIsCreatedEmpty(t *testing.T) {
	// As Open does: a path with no file gets an empty cache file, and
	// compacting it is harmless.
	path := filepath.Join(t.TempDir(), "sub", "cache.db")
	c, err := bbolt.Compact(context.Background(), path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Expired != 0 || c.Orphans != 0 || c.After == 0 {
		t.Errorf("Compact of a new file = %+v", c)
	}
}

// Compact replaces the file a symbolic link names, not the link, and the
// copy keeps the file's permissions.
func TestCompactFollowsSymlinkAndKeepsMode(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symbolic links and Unix permissions")
	}
	dir := t.TempDir()
	real := filepath.Join(dir, "real", "cache.db")
	live, expiring := keysNamed("live", 50), keysNamed("expiring", 200)
	fillFile(t, real, &bbolt.Options{NoSync: true}, live, expiring)
	if err := os.Chmod(real, 0o640); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.db")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	c, err := bbolt.Compact(context.Background(), link, nil)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("after Compact the link is %v (%v); want the symbolic link still", fi.Mode(), err)
	}
	fi, err := os.Stat(real)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() != c.After || c.After >= c.Before {
		t.Errorf("the file the link names is %d B; Compact reported %+v", fi.Size(), c)
	}
	if fi.Mode().Perm() != 0o640 {
		t.Errorf("compacted file has mode %v; want the original's 0640", fi.Mode().Perm())
	}
	noTempFiles(t, filepath.Dir(real))
	b := reopen(t, link, nil)
	checkValues(t, b, live, expiring)
}

// A file the copy would not make smaller stays: compaction never grows a
// file (a tiny one's copy can be a page larger than a file that has reused
// its first pages).
func TestCompactNeverGrowsAFile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "cache.db")
	b, err := bbolt.Open(path, &bbolt.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 { // small writes, each a transaction: the first pages are reused
		if err := b.Set(ctx, fmt.Sprint("k", i), []byte("v"), 0); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	c, size := compactFile(t, path)
	if c.After > c.Before || size != c.After {
		t.Errorf("Compact = %+v, file now %d B; want no growth", c, size)
	}
	noTempFiles(t, filepath.Dir(path))
	b = reopen(t, path, nil)
	for i := range 20 {
		if v, err := b.Get(ctx, fmt.Sprint("k", i)); err != nil || string(v) != "v" {
			t.Fatalf("k%d after Compact: %q, %v", i, v, err)
		}
	}
}
