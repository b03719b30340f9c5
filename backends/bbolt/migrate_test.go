package bbolt

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/cachedhttp/cachedhttp/backends"
)

// v1Record is one entry of a format version 1 file.
type v1Record struct {
	key, value string
	expires    int64 // unix nanoseconds; 0 never expires
}

// writeV1 writes a cache file at path as format version 1 did: 4 KiB
// pages, each value inline after its header in "entries", the expiry index
// always, and with bounded the age index, the byte count and the flag
// saying they are current. raw records go into "entries" as they are.
func writeV1(t *testing.T, path string, recs []v1Record, bounded bool, raw map[string]string) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{PageSize: 4096})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bolt.Tx) error {
		var bk [4]*bolt.Bucket
		for i, name := range [][]byte{bucketEntries, bucketAge, bucketExpiry, bucketMeta} {
			if bk[i], err = tx.CreateBucket(name); err != nil {
				return err
			}
		}
		entries, age, exp, meta := bk[0], bk[1], bk[2], bk[3]
		if err := meta.Put(metaVersion, binary.BigEndian.AppendUint64(nil, 1)); err != nil {
			return err
		}
		var total int64
		for _, r := range recs {
			seq, err := entries.NextSequence()
			if err != nil {
				return err
			}
			h, k := header{expires: r.expires, seq: seq}, dbKey(r.key, false)
			if err := entries.Put(k, inline(h, r.value)); err != nil {
				return err
			}
			if r.expires != 0 {
				if err := exp.Put(expiryKey(h), k); err != nil {
					return err
				}
			}
			if err := age.Put(seqKey(seq), k); err != nil {
				return err
			}
			total += int64(len(r.key) + len(r.value))
		}
		for k, v := range raw {
			if err := entries.Put([]byte(k), []byte(v)); err != nil {
				return err
			}
		}
		if !bounded {
			return nil
		}
		if err := meta.Put(metaBytes, binary.BigEndian.AppendUint64(nil, uint64(total))); err != nil {
			return err
		}
		return meta.Put(metaBounded, []byte("1"))
	})
	if err != nil {
		t.Fatal(err)
	}
}

// v1Fill returns n live records (more than two conversion transactions'
// worth) and a few special ones: expired, never expiring, empty.
func v1Fill(n int) []v1Record {
	hour := time.Now().Add(time.Hour).UnixNano()
	var recs []v1Record
	for i := range n {
		recs = append(recs, v1Record{fmt.Sprint("live-", i), strings.Repeat(fmt.Sprint(i, ";"), i%50), hour})
	}
	return append(recs,
		v1Record{"expired-1", "old", 1}, v1Record{"expired-2", "old", 2},
		v1Record{"forever", "kept", 0},
		v1Record{"empty", "", hour},
	)
}

// checkV1Values checks that b returns every live record of recs and none
// of the expired ones.
func checkV1Values(t *testing.T, b *Backend, recs []v1Record) {
	t.Helper()
	ctx := context.Background()
	for _, r := range recs {
		got, err := b.Get(ctx, r.key)
		if r.expires != 0 && r.expires < time.Now().UnixNano() {
			if !errors.Is(err, backends.ErrNotFound) {
				t.Fatalf("Get(%q) of an expired version 1 record = %q, %v; want a miss", r.key, got, err)
			}
			continue
		}
		if err != nil || string(got) != r.value {
			t.Fatalf("Get(%q) after conversion = %.40q, %v; want %.40q", r.key, got, err, r.value)
		}
	}
}

func TestOpenConvertsVersion1(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "cache.db")
	recs := v1Fill(2*migrateChunk + 500)
	writeV1(t, path, recs, false, map[string]string{"kbad": "short"})
	b, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	n, bad := 0, 0
	for e, err := range b.Scan(ctx) {
		switch {
		case err == nil:
			n++
		case errors.Is(err, ErrCorrupt) && e.Key == "bad":
			bad++
		default:
			t.Fatalf("Scan after conversion yielded %+v, %v", e, err)
		}
	}
	if n != len(recs) || bad != 1 {
		t.Errorf("Scan after conversion yielded %d entries and %d corrupt; want %d and the 1 short record", n, bad, len(recs))
	}
	checkV1Values(t, b, recs)
	if _, err := b.Get(ctx, "bad"); !errors.Is(err, ErrCorrupt) {
		t.Errorf("Get of a short version 1 record = %v; want ErrCorrupt", err)
	}
	err = b.db.View(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if v := meta.Get(metaVersion); binary.BigEndian.Uint64(v) != formatUnpacked {
			t.Errorf("version after conversion = %x", v)
		}
		if v := meta.Get(metaMigrated); v != nil {
			t.Errorf("the conversion's progress %q is left in the file", v)
		}
		for _, name := range [][]byte{bucketExpiry, bucketAge} {
			if tx.Bucket(name) != nil {
				t.Errorf("the %s index of version 1 is left in a file without a bound", name)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := b.Sweep(ctx); err != nil || n != 2 {
		t.Errorf("Sweep after conversion = %d, %v; want the 2 expired records", n, err)
	}
	// New sequence numbers must not land on converted values.
	if err := b.Set(ctx, "new", []byte("v"), 0); err != nil {
		t.Fatal(err)
	}
	if err := b.Set(ctx, "live-7", []byte("rewritten"), 0); err != nil {
		t.Fatal(err)
	}
	recs[7].value = "rewritten"
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if b, err = Open(path, nil); err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	checkV1Values(t, b, append(recs, v1Record{key: "new", value: "v"}))
}

func TestOpenResumesAnInterruptedConversion(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cache.db")
	recs := v1Fill(2*migrateChunk + 500)
	writeV1(t, path, recs, false, nil)
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	// One conversion transaction commits, then the process stops.
	err = db.Update(func(tx *bolt.Tx) error {
		end, err := migrateChunkOf(tx)
		if end || tx.Bucket(bucketMeta).Get(metaMigrated) == nil {
			t.Errorf("the first of three chunks ended the conversion (%v) or left no progress", end)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	checkV1Values(t, b, recs)
}

// A version 1 file written with a size bound keeps its age and expiry
// indexes and byte count: they name the same sequence numbers after the
// conversion, so a bound evicts by them without a rebuild.
func TestOpenConvertsVersion1WithItsBound(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "cache.db")
	value := strings.Repeat("v", 99) // 100 bytes with a one-byte key
	writeV1(t, path, []v1Record{{"a", value, 0}, {"x", value, 1}, {"b", value, 0}, {"c", value, 0}}, true, nil)
	b, err := Open(path, &Options{MaxBytes: 400})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for _, step := range []struct {
		set        string
		kept, gone []string
	}{
		{"d", []string{"a", "b", "c", "d"}, []string{"x"}}, // the expired one goes first
		{"e", []string{"b", "c", "d", "e"}, []string{"a"}}, // then the oldest written
	} {
		if err := b.Set(ctx, step.set, []byte(value), 0); err != nil {
			t.Fatal(err)
		}
		for _, k := range step.kept {
			if _, err := b.Get(ctx, k); err != nil {
				t.Errorf("after Set(%q): Get(%q) = %v; want kept", step.set, k, err)
			}
		}
		for _, k := range step.gone {
			if _, err := b.Get(ctx, k); !errors.Is(err, backends.ErrNotFound) {
				t.Errorf("after Set(%q): Get(%q) = %v; want evicted", step.set, k, err)
			}
		}
	}
}
