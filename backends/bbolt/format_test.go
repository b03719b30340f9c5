package bbolt

import (
	"context"
	"encoding/binary"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/cachedhttp/cachedhttp/backends"
)

// rawKeys returns the bbolt keys of the "entries" bucket of b.
func rawKeys(t *testing.T, b *Backend) []string {
	t.Helper()
	var out []string
	err := b.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketEntries).ForEach(func(k, _ []byte) error {
			out = append(out, string(k))
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// setFormat rewrites the format version of the closed file at path.
func setFormat(t *testing.T, path string, v uint64) {
	t.Helper()
	RawPut(t, path, string(bucketMeta), string(metaVersion), string(binary.BigEndian.AppendUint64(nil, v)))
}

var (
	hexKey   = "v1:" + strings.Repeat("0123456789abcdef", 4)
	upperKey = "v1:" + strings.Repeat("0123456789ABCDEF", 4)
)

// storeAndRead sets the keys of the format tests in b, then checks that
// Get and Scan give them back as they were given.
func storeAndRead(t *testing.T, b *Backend, keys []string) {
	t.Helper()
	ctx := context.Background()
	for _, k := range keys {
		if err := b.Set(ctx, k, []byte("value of "+k), 0); err != nil {
			t.Fatal(err)
		}
	}
	for _, k := range keys {
		if v, err := b.Get(ctx, k); err != nil || string(v) != "value of "+k {
			t.Fatalf("Get(%q) = %q, %v", k, v, err)
		}
	}
	var scanned []string
	for e, err := range b.Scan(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		scanned = append(scanned, e.Key)
	}
	slices.Sort(scanned)
	want := slices.Sorted(slices.Values(keys))
	if !slices.Equal(scanned, want) {
		t.Fatalf("Scan = %q; want %q", scanned, want)
	}
}

// A new file is of format 3: a key that ends in a lower-case hex digest
// (every key cachedhttp's transport writes) is stored packed, 36 bytes
// instead of 68; other keys as they are. The size bound counts the keys
// as given, whatever their form.
func TestNewFilePacksHexKeys(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cache.db")
	b, err := Open(path, &Options{NoSync: true, MaxBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	keys := []string{hexKey, upperKey, "plain", strings.Repeat("a", hashLen)}
	storeAndRead(t, b, keys)
	raw := rawKeys(t, b)
	var lens []int
	for _, k := range raw {
		lens = append(lens, len(k))
	}
	// Sorted by bbolt: the packed ("h") before the others ("k").
	if want := []int{36, 33, 6, 68}; !slices.Equal(lens, want) {
		t.Errorf("bbolt key lengths %v (%q); want %v", lens, raw, want)
	}
	var counted uint64
	err = b.db.View(func(tx *bolt.Tx) error {
		counted = binary.BigEndian.Uint64(tx.Bucket(bucketMeta).Get(metaBytes))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, k := range keys {
		want += 2*len(k) + len("value of ")
	}
	if counted != uint64(want) {
		t.Errorf("the bound counts %d bytes; want %d (keys as given)", counted, want)
	}
	// Delete finds the packed form.
	if err := b.Delete(context.Background(), hexKey); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Get(context.Background(), hexKey); !errors.Is(err, backends.ErrNotFound) {
		t.Errorf("Get after Delete = %v", err)
	}
}

// A file of format 2 (written before packed keys) keeps every key as it is,
// and stays of format 2.
func TestFormat2FileKeepsKeysUnpacked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cache.db")
	b, err := Open(path, &Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	setFormat(t, path, 2)
	b, err = Open(path, &Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	storeAndRead(t, b, []string{hexKey, "plain"})
	for _, k := range rawKeys(t, b) {
		if k[0] != 'k' {
			t.Errorf("a format 2 file holds the key %q", k)
		}
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	b, err = Open(path, &Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	storeAndRead(t, b, []string{hexKey, "plain"})
	if b.packed {
		t.Error("a format 2 file was reopened as format 3")
	}
}

func TestUnknownFormatIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cache.db")
	b, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	setFormat(t, path, 4)
	if _, err := Open(path, nil); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "reads 2 and 3") {
		t.Fatalf("Open of a format 4 file = %v; want ErrCorrupt naming the versions read", err)
	}
}
