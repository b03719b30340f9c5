package bbolt

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// compactTxBytes bounds the bytes of keys and values one transaction of
// Compact copies, so that a large file is not copied in one transaction
// held in memory (bbolt keeps a transaction's dirty pages on the heap
// until it commits).
const compactTxBytes = 32 << 20

// Compaction reports what Compact did.
type Compaction struct {
	// Expired is the number of expired entries Compact deleted first.
	Expired int
	// Orphans is the number of values no record named (a record that was
	// corrupt cannot say which value is its own, so deleting it leaves
	// the value behind), which Compact dropped.
	Orphans int
	// Before and After are the sizes of the file, in bytes, before and
	// after.
	Before, After int64
}

// Compact rewrites the cache file at path without its expired entries and
// without free space, and returns what it did (a file the copy would not
// make smaller is left in place, swept). A bbolt file never
// shrinks: the pages of deleted or rewritten values are reused by later
// writes but stay in the file, and pages filled by keys in random order
// stay about a third empty. Compact copies every bucket, in key order,
// into full pages of a new file in the same directory (the same page
// size), syncs it, and renames it over path: at no point is the cache
// file incomplete, and a failure leaves it as it was and removes the new
// file. It needs the room of the compacted copy on the same file system.
//
// Compact opens the file itself, so no other handle may have it open: it
// waits opts.Timeout for the lock, then fails with an error matching
// ErrLocked. It is the offline counterpart of SQLite's VACUUM (run it from
// a maintenance job, or `cachedhttp purge --compact`). opts are those of
// Open; a file of format version 1 is converted first.
func Compact(ctx context.Context, path string, opts *Options) (Compaction, error) {
	var c Compaction
	b, err := Open(path, opts)
	if err != nil {
		return c, fmt.Errorf("bbolt compact: %w", err)
	}
	closed := false
	defer func() {
		if !closed {
			_ = b.Close()
		}
	}()
	// The copy goes beside the file itself, and replaces it, when path is
	// a symbolic link: renaming over the link would leave the file it
	// names as it was, and the link pointing at a copy.
	target, err := filepath.EvalSymlinks(path)
	if err != nil {
		return c, fmt.Errorf("bbolt compact %q: %w", path, err)
	}
	fi, err := os.Stat(target)
	if err != nil {
		return c, fmt.Errorf("bbolt compact %q: %w", path, err)
	}
	c.Before = fi.Size()
	if c.Expired, err = b.Sweep(ctx); err != nil {
		return c, fmt.Errorf("bbolt compact %q: %w", path, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(target), filepath.Base(target)+".compact-*")
	if err != nil {
		return c, fmt.Errorf("bbolt compact %q: %w", path, err)
	}
	tmpPath := tmp.Name()
	// The copy keeps the file's permissions (CreateTemp made it 0600).
	err = tmp.Chmod(fi.Mode().Perm())
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(tmpPath)
		return c, fmt.Errorf("bbolt compact %q: %w", path, err)
	}
	renamed := false
	defer func() {
		if !renamed {
			_ = os.Remove(tmpPath)
		}
	}()
	if c.Orphans, err = b.copyTo(ctx, tmpPath); err != nil {
		return c, fmt.Errorf("bbolt compact %q: %w", path, err)
	}
	// A copy that is no smaller is not worth the swap: a small file that
	// was written to for a while has reused its first pages, which a new
	// file's first transaction cannot, so its copy can be a page larger.
	if ci, err := os.Stat(tmpPath); err == nil && ci.Size() >= c.Before {
		closed = true
		err := b.Close()
		c.After = c.Before
		if fi, serr := os.Stat(target); serr == nil {
			c.After = fi.Size()
		}
		if err != nil {
			return c, fmt.Errorf("bbolt compact %q: %w", path, err)
		}
		return c, nil
	}
	// The copy replaces the file while this handle still holds the lock
	// of the old one, so no other handle can open the old file and write
	// to it meanwhile. Windows cannot rename over an open file: there the
	// old one is closed first.
	if runtime.GOOS == "windows" {
		closed = true
		b.closeUntrimmed()
	}
	if err := os.Rename(tmpPath, target); err != nil {
		return c, fmt.Errorf("bbolt compact %q: %w", path, err)
	}
	renamed = true
	syncDir(filepath.Dir(target))
	if !closed {
		closed = true
		// The path now names the new file: Close's trim (which cuts
		// the file at path to the old file's high-water mark) must not
		// run.
		b.closeUntrimmed()
	}
	if fi, err := os.Stat(target); err == nil {
		c.After = fi.Size()
	}
	return c, nil
}

// closeUntrimmed closes b without cutting the file at its path.
func (b *Backend) closeUntrimmed() {
	if b.state.Close() {
		_ = b.db.Close()
	}
}

// copyTo copies every bucket of b into a new bbolt file at path (which
// exists and is empty) with the same page size, in key order into full
// pages, leaving out values that no record names; it syncs the file and
// returns how many values it left out.
func (b *Backend) copyTo(ctx context.Context, path string) (orphans int, err error) {
	dst, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout:        DefaultTimeout,
		NoFreelistSync: true,
		FreelistType:   bolt.FreelistMapType,
		NoSync:         true, // synced once, at the end
		PageSize:       b.db.Info().PageSize,
	})
	if err != nil {
		return 0, err
	}
	dst.AllocSize = allocSize
	defer func() {
		if cerr := dst.Close(); err == nil {
			err = cerr
		}
	}()
	err = b.db.View(func(src *bolt.Tx) error {
		named, err := namedValues(src)
		if err != nil {
			return err
		}
		w := &copier{ctx: ctx, db: dst}
		defer w.rollback()
		err = src.ForEach(func(name []byte, bkt *bolt.Bucket) error {
			if err := w.bucket(name, bkt.Sequence()); err != nil {
				return err
			}
			values := bytes.Equal(name, bucketValues)
			return bkt.ForEach(func(k, v []byte) error {
				if v == nil {
					return fmt.Errorf("bucket %q holds a nested bucket %q: not a cache file of this package: %w", name, k, ErrCorrupt)
				}
				if values && len(k) == 8 && !named.has(binary.BigEndian.Uint64(k)) {
					orphans++
					return nil
				}
				return w.put(name, k, v)
			})
		})
		if err != nil {
			return err
		}
		if orphans > 0 && string(src.Bucket(bucketMeta).Get(metaBounded)) == "1" {
			// The byte count included the orphans (their size was
			// unknown when their records went): the next Open with a
			// bound counts again.
			if err := w.put(bucketMeta, metaBounded, []byte("0")); err != nil {
				return err
			}
		}
		return w.commit()
	})
	if err != nil {
		return 0, err
	}
	if err := dst.Sync(); err != nil {
		return 0, err
	}
	var size int64
	if err := dst.View(func(tx *bolt.Tx) error { size = tx.Size(); return nil }); err != nil {
		return 0, err
	}
	if runtime.GOOS != "windows" { // as trim: Windows cannot cut a mapped file
		if err := os.Truncate(path, size); err != nil {
			return 0, err
		}
		f, err := os.OpenFile(path, os.O_RDWR, 0)
		if err != nil {
			return 0, err
		}
		defer f.Close()
		if err := f.Sync(); err != nil {
			return 0, err
		}
	}
	return orphans, nil
}

// seqSet is a sorted set of sequence numbers.
type seqSet []uint64

func (s seqSet) has(seq uint64) bool { _, ok := slices.BinarySearch(s, seq); return ok }

// namedValues returns the sequence numbers of the values the records of
// "entries" name (records that do not parse name none).
func namedValues(tx *bolt.Tx) (seqSet, error) {
	entries := tx.Bucket(bucketEntries)
	if entries == nil {
		return nil, fmt.Errorf("no %q bucket: %w", bucketEntries, ErrCorrupt)
	}
	s := make(seqSet, 0, entries.Stats().KeyN)
	err := entries.ForEach(func(_, rec []byte) error {
		if h, err := parseHeader(rec); err == nil {
			s = append(s, h.seq)
		}
		return nil
	})
	slices.Sort(s)
	return s, err
}

// copier writes into the new file in transactions of at most
// compactTxBytes, each bucket filled in key order to full pages.
type copier struct {
	ctx  context.Context
	db   *bolt.DB
	tx   *bolt.Tx
	size int
}

// begin opens a write transaction if none is open.
func (w *copier) begin() error {
	if w.tx != nil {
		return nil
	}
	if err := w.ctx.Err(); err != nil {
		return err
	}
	tx, err := w.db.Begin(true)
	if err != nil {
		return err
	}
	w.tx, w.size = tx, 0
	return nil
}

// bucket creates the bucket name with the sequence seq.
func (w *copier) bucket(name []byte, seq uint64) error {
	if err := w.begin(); err != nil {
		return err
	}
	bkt, err := w.tx.CreateBucket(name)
	if err != nil {
		return err
	}
	return bkt.SetSequence(seq)
}

// put stores k and v in the bucket name, committing first when the
// transaction is full.
func (w *copier) put(name, k, v []byte) error {
	if w.size+len(k)+len(v) > compactTxBytes && w.size > 0 {
		if err := w.commit(); err != nil {
			return err
		}
	}
	if err := w.begin(); err != nil {
		return err
	}
	bkt := w.tx.Bucket(name)
	// Keys arrive in order: full pages lose nothing.
	bkt.FillPercent = 1
	w.size += len(k) + len(v)
	return bkt.Put(k, v)
}

// commit commits the open transaction, if any.
func (w *copier) commit() error {
	if w.tx == nil {
		return nil
	}
	tx := w.tx
	w.tx = nil
	return tx.Commit()
}

// rollback drops the open transaction, if any.
func (w *copier) rollback() {
	if w.tx != nil {
		_ = w.tx.Rollback()
		w.tx = nil
	}
}

// syncDir syncs the directory dir, so that a rename in it survives a
// crash. It is best effort: some systems cannot sync a directory.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
}
