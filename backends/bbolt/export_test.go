package bbolt

import (
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/cachedhttp/cachedhttp/backends"
)

// Corrupt replaces the record of key in b (a *Backend) with bytes too short
// to be a record, as a damaged file would hold (backendtest's
// Options.Corrupt).
func Corrupt(t *testing.T, b backends.Backend, key string) {
	t.Helper()
	bb := b.(*Backend)
	err := bb.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketEntries).Put(bb.dbKey(key), []byte("short"))
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Usage says where the bytes of a cache file go, from bbolt's own
// statistics: the pages of the "entries" and "values" buckets (leaf,
// overflow and branch pages), the free pages (freed by earlier
// transactions, reused by later ones), the file's high-water mark, and
// the bytes of pages written since Open (copy-on-write: each transaction
// writes every page it changed, and the branch pages above them).
type Usage struct {
	Entries, Values, Free, HighWater, Written int64
}

// FileUsage returns b's Usage.
func FileUsage(t testing.TB, b *Backend) Usage {
	t.Helper()
	var u Usage
	err := b.db.View(func(tx *bolt.Tx) error {
		e, v := tx.Bucket(bucketEntries).Stats(), tx.Bucket(bucketValues).Stats()
		u.Entries = int64(e.LeafAlloc + e.BranchAlloc)
		u.Values = int64(v.LeafAlloc + v.BranchAlloc)
		u.HighWater = tx.Size()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	st := b.db.Stats()
	u.Free, u.Written = int64(st.FreeAlloc), st.TxStats.GetPageAlloc()
	return u
}

// PageSize returns the page size of b's file.
func PageSize(b *Backend) int { return b.db.Info().PageSize }

// RawPut writes one key into a bucket of the bbolt file at path directly.
func RawPut(t *testing.T, path, bucket, key, value string) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bolt.Tx) error {
		bk, err := tx.CreateBucketIfNotExists([]byte(bucket))
		if err != nil {
			return err
		}
		return bk.Put([]byte(key), []byte(value))
	})
	if err != nil {
		t.Fatal(err)
	}
}
