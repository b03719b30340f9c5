package bbolt

import (
	"encoding/binary"

	bolt "go.etcd.io/bbolt"
)

// A file of format version 1 kept each value inside its "entries" record,
// after the header. Format 2 moves the values to the "values" bucket,
// under the sequence number the header already holds, so records keep
// their expiry and age, and the age and expiry indexes and the byte count
// stay valid as they are.

// migrateChunk and migrateBytes bound one conversion transaction: the
// records it converts and the bytes of value it copies.
const (
	migrateChunk = 1000
	migrateBytes = 4 << 20
)

// migrate converts a file of format version 1 to version 2 (its keys stay
// as they are, unpacked), in
// transactions of a bounded size that each record how far they got, so
// memory stays bounded on a large file and a conversion interrupted by a
// crash resumes at the next Open. A file of any other version is left to
// initialize.
func migrate(db *bolt.DB) error {
	for {
		done := true
		err := db.Update(func(tx *bolt.Tx) error {
			meta := tx.Bucket(bucketMeta)
			if meta == nil {
				return nil // a new file
			}
			if v := meta.Get(metaVersion); len(v) != 8 || binary.BigEndian.Uint64(v) != 1 {
				return nil
			}
			end, err := migrateChunkOf(tx)
			done = end
			return err
		})
		if err != nil || done {
			return err
		}
	}
}

// migrateChunkOf converts the next chunk of version 1 records and reports
// whether it converted the last one (and set the version).
func migrateChunkOf(tx *bolt.Tx) (end bool, err error) {
	meta := tx.Bucket(bucketMeta)
	values, err := tx.CreateBucketIfNotExists(bucketValues)
	if err != nil {
		return false, err
	}
	entries := tx.Bucket(bucketEntries)
	if entries == nil {
		return true, meta.Put(metaVersion, binary.BigEndian.AppendUint64(nil, formatUnpacked))
	}
	type converted struct{ k, rec []byte }
	var (
		batch []converted
		size  int
		after = append([]byte(nil), meta.Get(metaMigrated)...) // nil at the start
	)
	c := entries.Cursor()
	k, rec := seekAfter(c, after)
	for ; k != nil && len(batch) < migrateChunk && size < migrateBytes; k, rec = c.Next() {
		after = append(after[:0], k...)
		h, v, err := parseInline(rec)
		if err != nil {
			continue // left as it is: Get and Scan report it as corrupt
		}
		// Copied: the cursor's memory is bbolt's, and the puts below
		// change the pages it reads.
		if err := values.Put(seqKey(h.seq), append([]byte{}, v...)); err != nil {
			return false, err
		}
		batch = append(batch, converted{append([]byte(nil), k...), appendHeader(nil, h)})
		size += len(v)
	}
	for _, r := range batch {
		if err := entries.Put(r.k, r.rec); err != nil {
			return false, err
		}
	}
	if k != nil {
		return false, meta.Put(metaMigrated, after)
	}
	if err := meta.Delete(metaMigrated); err != nil {
		return true, err
	}
	return true, meta.Put(metaVersion, binary.BigEndian.AppendUint64(nil, formatUnpacked))
}
