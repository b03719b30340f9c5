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
	err := b.(*Backend).db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketEntries).Put(dbKey(key), []byte("short"))
	})
	if err != nil {
		t.Fatal(err)
	}
}
