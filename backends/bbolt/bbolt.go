package bbolt

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/backends/internal/lifecycle"
)

// DefaultTimeout is how long Open waits for the file lock when
// Options.Timeout is zero.
const DefaultTimeout = time.Second

// DefaultPageSize is the page size of the files Open creates when
// Options.PageSize is zero.
const DefaultPageSize = 16 << 10

// allocSize is how much the file grows by at a time once it is larger
// than that (bbolt's default, 16 MiB, left up to 16 MiB of the file
// unused: more than half of a file of 10,000 small entries).
const allocSize = 1 << 20

// formatVersion is the layout version written to the meta bucket of a new
// file. Version 3 stores keys that end in a hex digest packed (see dbKey);
// version 2 (formatUnpacked) is the same layout with every key as it is,
// and files of that version keep it. Version 1 kept each value inside its
// "entries" record and an expiry index always; Open converts such a file
// to version 2 (see migrate).
const (
	formatVersion  = 3
	formatUnpacked = 2
)

var (
	bucketEntries = []byte("entries")
	bucketValues  = []byte("values")
	bucketAge     = []byte("age")
	bucketExpiry  = []byte("expiry")
	bucketMeta    = []byte("meta")
	metaVersion   = []byte("version")
	metaBytes     = []byte("bytes")
	metaBounded   = []byte("bounded")  // "1" while the size bound's bookkeeping is current
	metaMigrated  = []byte("migrated") // the last key a running conversion from version 1 reached
)

// Options configure Open. A nil *Options means the zero value: wait one
// second for the lock, no size bound, fsync every commit, 16 KiB pages.
type Options struct {
	// Timeout is how long Open waits for another handle to release the
	// file lock before failing with ErrLocked. Zero means DefaultTimeout;
	// less than zero means do not wait.
	Timeout time.Duration `dsn:"timeout"`
	// MaxBytes bounds the sum of len(key)+len(value) over stored values.
	// A Set that exceeds it first deletes expired values, then the oldest
	// written (not least recently read: reads never write) until the bound
	// holds. A single value larger than MaxBytes is refused with
	// backends.ErrTooLarge. The file itself is larger (page and B+tree
	// overhead) and never shrinks: bbolt reuses freed pages instead. Zero
	// or less means no bound. Without a bound, writing a key again keeps
	// its place in the age order (its value is replaced in place): a bound
	// set on such a file later evicts by first write.
	MaxBytes int64 `dsn:"max_bytes"`
	// NoSync skips fsync on commit. Writes become several times faster, and
	// a process crash loses nothing, but an operating system crash or power
	// loss can corrupt the file (delete it then: it is a cache).
	NoSync bool `dsn:"nosync"`
	// PageSize is the page size, in bytes, of a file Open creates: a power
	// of two from 1 KiB to 64 KiB. An existing file keeps the page size it
	// was created with. Zero means DefaultPageSize (16 KiB), which packs
	// values of a few KiB or less densely; a cache of values mostly larger
	// than the page loses half a page per value on average, so 4 KiB
	// suits one of large bodies better. Larger pages make each write
	// rewrite more bytes.
	PageSize int `dsn:"page_size"`
}

// Backend is a cache stored in one bbolt file. It is safe for concurrent
// use.
type Backend struct {
	db       *bolt.DB
	path     string
	maxBytes int64
	// packed is set for files of format 3, whose keys that end in a hex
	// digest are stored packed (dbKey). It is set once, by Open.
	packed  bool
	commits committer
	state   lifecycle.State
}

// Open opens the cache file at path, creating it (mode 0600) and its parent
// directories (mode 0700) when missing. A file written by an earlier
// version of this package is converted to the current layout first.
func Open(path string, opts *Options) (*Backend, error) {
	if opts == nil {
		opts = &Options{}
	}
	timeout := opts.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	pageSize := opts.PageSize
	if pageSize == 0 {
		pageSize = DefaultPageSize
	}
	if pageSize < 1<<10 || pageSize > 64<<10 || pageSize&(pageSize-1) != 0 {
		return nil, fmt.Errorf("bbolt open %q: page size %d is not a power of two from 1 KiB to 64 KiB", path, pageSize)
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("bbolt open %q: %w", path, err)
		}
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout: timeout,
		// The freelist is rebuilt at open instead of written at every
		// commit, which makes commits cheaper (as etcd does).
		NoFreelistSync: true,
		FreelistType:   bolt.FreelistMapType,
		NoSync:         opts.NoSync,
		PageSize:       pageSize,
	})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("bbolt open %q: waited %v: %w (%w)", path, timeout, ErrLocked, err)
	}
	if err != nil {
		return nil, fmt.Errorf("bbolt open %q: %w", path, err)
	}
	// Set before any write: only commits read it.
	db.AllocSize = allocSize
	b := &Backend{db: db, path: path, maxBytes: max(opts.MaxBytes, 0)}
	b.commits.db = db
	if err := migrate(db); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("bbolt open %q: converting a version 1 file: %w", path, err)
	}
	if err := db.Update(b.initialize); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("bbolt open %q: %w", path, err)
	}
	return b, nil
}

// initialize creates the buckets, checks the format version, and brings
// the size bound's bookkeeping (the age and expiry indexes and the byte
// count, kept only while a bound is set) up to date.
func (b *Backend) initialize(tx *bolt.Tx) error {
	for _, name := range [][]byte{bucketEntries, bucketValues, bucketMeta} {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return err
		}
	}
	meta := tx.Bucket(bucketMeta)
	switch v := meta.Get(metaVersion); {
	case v == nil:
		if err := meta.Put(metaVersion, binary.BigEndian.AppendUint64(nil, formatVersion)); err != nil {
			return err
		}
		b.packed = true
	case len(v) == 8 && binary.BigEndian.Uint64(v) == formatVersion:
		b.packed = true
	case len(v) == 8 && binary.BigEndian.Uint64(v) == formatUnpacked:
		b.packed = false
	default:
		return fmt.Errorf("format version %x, this version reads %d and %d: %w", v, formatUnpacked, formatVersion, ErrCorrupt)
	}
	current := string(meta.Get(metaBounded)) == "1"
	if b.maxBytes > 0 {
		if current {
			return nil
		}
		return rebuildBookkeeping(tx)
	}
	// Unbounded, the indexes would go stale: their pages are better
	// reused. A bound set later rebuilds them.
	for _, name := range [][]byte{bucketAge, bucketExpiry} {
		if err := tx.DeleteBucket(name); err != nil && !errors.Is(err, berrors.ErrBucketNotFound) {
			return err
		}
	}
	if current {
		return meta.Put(metaBounded, []byte("0"))
	}
	return nil
}

// dbKey returns the bbolt key of key in b's file.
func (b *Backend) dbKey(key string) []byte { return dbKey(key, b.packed) }

// Path returns the path of the cache file.
func (b *Backend) Path() string { return b.path }

// wrapErr maps bbolt's closed-database error to backends.ErrClosed.
func wrapErr(err error) error {
	if errors.Is(err, berrors.ErrDatabaseNotOpen) {
		return fmt.Errorf("%w (%w)", backends.ErrClosed, err)
	}
	return err
}

// Close closes the file, waiting for running transactions, after cutting
// it to its last page. Later calls return backends.ErrClosed.
func (b *Backend) Close() error {
	if !b.state.Close() {
		return fmt.Errorf("bbolt close %q: %w", b.path, backends.ErrClosed)
	}
	b.trim()
	if err := b.db.Close(); err != nil {
		return fmt.Errorf("bbolt close %q: %w", b.path, err)
	}
	return nil
}

// trim cuts the file to its last page. bbolt grows a file ahead of its
// pages, by up to allocSize at a time; a closed file need not keep that
// room (the next write after Open grows it again). Every page either meta
// page reaches lies below the high-water mark, so the cut loses nothing,
// and holding the write lock keeps commits out meanwhile. It is best
// effort: a file it cannot cut stays as it was, which is harmless. Windows
// cannot cut a mapped file, and bbolt does not grow one ahead there.
func (b *Backend) trim() {
	if runtime.GOOS == "windows" {
		return
	}
	tx, err := b.db.Begin(true)
	if err != nil {
		return
	}
	defer func() { _ = tx.Rollback() }()
	if fi, err := os.Stat(b.path); err == nil && fi.Size() > tx.Size() {
		_ = os.Truncate(b.path, tx.Size())
	}
}
