// Package filesystem is a cachedhttp backend that keeps one file per entry
// in a directory tree, readable with ordinary tools and shareable between
// processes on one machine.
//
// Layout. The file for a key is DIR/ab/cd/<sha256 of the key in hex>, where
// ab and cd are the first two pairs of hex digits (a two-level fan-out, so
// no directory holds more than a few thousand files). Each file holds a
// small header (magic, version, expiry, key and value lengths), the key,
// then the value; Scan reads headers only. Files are created 0600 and
// directories 0700, unless Options.FileMode opens them to a group.
//
// Writes are atomic: a value is written to a temporary file in the same
// directory, then renamed over the entry's file, so a reader sees the old
// file or the new one, never a mix. Files are not synced unless
// Options.Sync is set: after a machine crash an entry may be lost or
// truncated, and a truncated file is detected by its lengths and treated as
// a miss.
//
// Expiry. Get deletes the expired or corrupt file it finds; Sweep deletes
// every one. With Options.MaxBytes or Options.MaxEntries, a Set that takes
// the cache past a bound prunes it (as flask-caching's threshold does):
// expired files go first, then the least recently written (by modification
// time; with Options.TouchOnGet, the least recently used) until the cache is at 90% of its bounds, so pruning is not repeated
// at every Set. The counts behind the bounds are kept in memory, taken at
// Open and re-taken at each prune; other processes writing to the same
// directory make them approximate between prunes.
//
// The DSN forms are file:///abs/dir and filesystem:///abs/dir (or
// file:relative/dir) with the parameters max_bytes, max_entries, sync,
// touch (Options.TouchOnGet) and mode (Options.FileMode, in octal: 0640).
//
// Add and Incr (backends.Adder and backends.Incrementer) read and replace
// a file under the lock of its shard, and on Unix under an flock(2) of a
// per-shard lock file in DIR/.locks, so they are atomic among every
// process using this package on the directory.
package filesystem

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/backends/internal/expiry"
	"github.com/cachedhttp/cachedhttp/backends/internal/lifecycle"
)

// tempPrefix starts the name of a file being written.
const tempPrefix = ".tmp-"

// staleTemp is how old a temporary file must be for Sweep to delete it
// (a writer that crashed left it).
const staleTemp = time.Hour

// Options configure Open. A nil *Options means the zero value: no bounds,
// no fsync.
type Options struct {
	// MaxBytes bounds the total size of the entry files (headers and keys
	// included). A value whose file alone would exceed it is refused with
	// backends.ErrTooLarge. Zero or less means no bound.
	MaxBytes int64 `dsn:"max_bytes"`
	// MaxEntries bounds the number of entry files. Zero or less means no
	// bound.
	MaxEntries int `dsn:"max_entries"`
	// Sync makes Set fsync each file before renaming it into place: slower,
	// but an entry that Set reported stored survives a machine crash.
	Sync bool `dsn:"sync"`
	// TouchOnGet makes a Get hit set the file's modification time to now
	// (at most once a second per file), so the bounds evict the least
	// recently used entry rather than the least recently written. It costs
	// a metadata write per hit.
	TouchOnGet bool `dsn:"touch"`
	// FileMode is the permission of entry files, for a cache shared by
	// the users of a group (0640 or 0660, as flask-caching's mode). It is
	// set with chmod, so the umask does not narrow it. Directories get
	// 0700 plus, for the group and others, read, write and search as the
	// mode's read and write bits ask (narrowed by the umask). Zero means
	// 0600 (and directories 0700); bits other than the permission bits
	// are ignored.
	FileMode os.FileMode `dsn:"mode"`
}

// Backend is a cache stored as files under one directory. It is safe for
// concurrent use.
type Backend struct {
	dir   string
	opts  Options
	state lifecycle.State

	// locks serialise, per key hash shard, the renames and removals of
	// this process, so Get's removal of an expired file cannot remove the
	// file a concurrent Set just put in its place.
	locks [256]sync.Mutex

	// entries and bytes count the files, when a bound is set.
	entries atomic.Int64
	bytes   atomic.Int64
	pruning sync.Mutex
}

// Open opens (creating it, mode 0700 or as Options.FileMode says, with its
// parents) the cache directory dir. With a bound set, it counts the files
// already there.
func Open(dir string, opts *Options) (*Backend, error) {
	if dir == "" {
		return nil, errors.New("filesystem open: empty directory name")
	}
	if opts == nil {
		opts = &Options{}
	}
	if err := os.MkdirAll(dir, opts.dirMode()); err != nil {
		return nil, fmt.Errorf("filesystem open %q: %w", dir, err)
	}
	b := &Backend{dir: dir, opts: *opts}
	if b.bounded() {
		var n, size int64
		err := b.walk(context.Background(), func(path, name string, _ *sync.Mutex) error {
			if isEntryName(name) {
				if fi, err := os.Lstat(path); err == nil {
					n++
					size += fi.Size()
				}
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("filesystem open %q: %w", dir, err)
		}
		b.entries.Store(n)
		b.bytes.Store(size)
	}
	return b, nil
}

// Dir returns the cache directory.
func (b *Backend) Dir() string { return b.dir }

// File returns the path of the file that holds (or would hold) key.
func (b *Backend) File(key string) string {
	p, _ := b.locate(key)
	return p
}

func (b *Backend) bounded() bool { return b.opts.MaxBytes > 0 || b.opts.MaxEntries > 0 }

// locate returns the path of key's file and the lock of its shard.
func (b *Backend) locate(key string) (string, *sync.Mutex) {
	sum := sha256.Sum256([]byte(key))
	name := hex.EncodeToString(sum[:])
	return filepath.Join(b.dir, name[:2], name[2:4], name), &b.locks[sum[0]]
}

// account adjusts the counts behind the bounds.
func (b *Backend) account(entries, bytes int64) {
	if b.bounded() {
		b.entries.Add(entries)
		b.bytes.Add(bytes)
	}
}

// Get returns the value stored under key. An expired or unreadable file is
// deleted and reported as a miss (the error also matches ErrCorrupt for an
// unreadable one).
func (b *Backend) Get(ctx context.Context, key string) ([]byte, error) {
	if err := b.state.Check(ctx); err != nil {
		return nil, fmt.Errorf("filesystem get %q: %w", key, err)
	}
	path, lock := b.locate(key)
	buf, fi, err := readFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, backends.NotFound("filesystem get", key)
	}
	if err != nil {
		return nil, fmt.Errorf("filesystem get %q: %w", key, err)
	}
	h, stored, value, err := parseFile(buf)
	if err != nil {
		b.removeIfSame(path, lock, fi)
		return nil, fmt.Errorf("filesystem get %q: %s: %w, %w (%w)", key, path, backends.ErrCorrupt, backends.ErrNotFound, err)
	}
	if stored != key {
		return nil, fmt.Errorf("filesystem get %q: %s holds key %.40q: %w", key, path, stored, backends.ErrNotFound)
	}
	now := time.Now()
	if h.expired(now.UnixNano()) {
		b.removeIfSame(path, lock, fi)
		return nil, backends.NotFound("filesystem get", key)
	}
	if b.opts.TouchOnGet && now.Sub(fi.ModTime()) > time.Second {
		// Best effort: a file replaced or removed meanwhile needs no touch.
		_ = os.Chtimes(path, time.Time{}, now)
	}
	return value, nil
}

// readFile reads the whole file at path in one allocation.
func readFile(path string) ([]byte, os.FileInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	buf := make([]byte, fi.Size())
	if _, err := io.ReadFull(f, buf); err != nil {
		return nil, nil, err
	}
	return buf, fi, nil
}

// removeIfSame removes path if it is still the file fi describes (not one
// a concurrent Set renamed into place since).
func (b *Backend) removeIfSame(path string, lock *sync.Mutex, fi os.FileInfo) bool {
	lock.Lock()
	defer lock.Unlock()
	cur, err := os.Lstat(path)
	if err != nil || !os.SameFile(cur, fi) {
		return false
	}
	if os.Remove(path) != nil {
		return false
	}
	b.account(-1, -cur.Size())
	return true
}

// Set stores value under key: it writes a temporary file and renames it
// over the key's file.
func (b *Backend) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if err := b.state.Check(ctx); err != nil {
		return fmt.Errorf("filesystem set %q: %w", key, err)
	}
	if len(key) > maxKeySize {
		return fmt.Errorf("filesystem set %q: key of %d bytes, at most %d: %w", key[:64], len(key), maxKeySize, backends.ErrTooLarge)
	}
	size := int64(fixedSize + len(key) + len(value))
	if b.opts.MaxBytes > 0 && size > b.opts.MaxBytes {
		return fmt.Errorf("filesystem set %q: file of %d bytes, bound is %d: %w", key, size, b.opts.MaxBytes, backends.ErrTooLarge)
	}
	expires := expiry.UnixNano(time.Now(), ttl)
	path, lock := b.locate(key)
	// A concurrent Clear may remove the directory between the temporary
	// file's creation and the rename: try again once.
	var err error
	for range 2 {
		if err = b.write(ctx, path, lock, key, value, expires); !errors.Is(err, fs.ErrNotExist) {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("filesystem set %q: %w", key, err)
	}
	if b.over() {
		if err := b.prune(ctx); err != nil {
			return fmt.Errorf("filesystem set %q: prune: %w", key, err)
		}
	}
	return nil
}

// write puts one entry file in place.
func (b *Backend) write(ctx context.Context, path string, lock *sync.Mutex, key string, value []byte, expires int64) error {
	tmp, err := b.writeTemp(path, key, value, expires)
	if err != nil {
		return err
	}
	// A caller that gave up while a large value was written leaves no
	// trace.
	if err := ctx.Err(); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	lock.Lock()
	defer lock.Unlock()
	return b.place(tmp, path, int64(fixedSize+len(key)+len(value)))
}

// writeTemp writes the entry file of key to a new temporary file in the
// directory of path (which it creates if needed) and returns its name.
func (b *Backend) writeTemp(path, key string, value []byte, expires int64) (tmp string, err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, tempPrefix+"*")
	if errors.Is(err, fs.ErrNotExist) {
		if err = os.MkdirAll(dir, b.opts.dirMode()); err == nil {
			f, err = os.CreateTemp(dir, tempPrefix+"*")
		}
	}
	if err != nil {
		return "", err
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(f.Name())
		}
	}()
	if err = b.opts.chmod(f); err != nil {
		return "", err
	}
	// Small values go out with the header in one write.
	const together = 64 << 10
	buf := make([]byte, 0, fixedSize+len(key)+min(len(value), together))
	buf = appendHeader(buf, key, expires, len(value))
	if len(value) <= together {
		buf = append(buf, value...)
	}
	if _, err = f.Write(buf); err != nil {
		return "", err
	}
	if len(value) > together {
		if _, err = f.Write(value); err != nil {
			return "", err
		}
	}
	if b.opts.Sync {
		if err = f.Sync(); err != nil {
			return "", err
		}
	}
	if err = f.Close(); err != nil {
		return "", err
	}
	return f.Name(), nil
}

// place renames the temporary file tmp, of size bytes, over path and
// counts it against the bounds. The caller holds the shard's lock.
func (b *Backend) place(tmp, path string, size int64) error {
	var old os.FileInfo
	if b.bounded() {
		old, _ = os.Lstat(path)
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	if old != nil {
		b.account(-1, -old.Size())
	}
	b.account(1, size)
	return nil
}

// Delete removes the files of the given keys; missing keys are not an
// error.
func (b *Backend) Delete(ctx context.Context, keys ...string) error {
	if err := b.state.Check(ctx); err != nil {
		return fmt.Errorf("filesystem delete %q: %w", keys, err)
	}
	for _, key := range keys {
		path, lock := b.locate(key)
		if err := b.remove(path, lock); err != nil {
			return fmt.Errorf("filesystem delete %q: %w", key, err)
		}
	}
	return nil
}

// remove removes path, which may be missing.
func (b *Backend) remove(path string, lock *sync.Mutex) error {
	lock.Lock()
	defer lock.Unlock()
	var fi os.FileInfo
	if b.bounded() {
		fi, _ = os.Lstat(path)
	}
	err := os.Remove(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err == nil && fi != nil {
		b.account(-1, -fi.Size())
	}
	return err
}

// Scan yields every readable entry, expired ones included with their past
// Expires, reading headers only. Files that are not readable entries are
// skipped (Get and Sweep delete them). It holds no lock while yielding.
func (b *Backend) Scan(ctx context.Context) iter.Seq2[backends.Entry, error] {
	return func(yield func(backends.Entry, error) bool) {
		buf := make([]byte, 4096)
		stop := errors.New("stop")
		err := b.walk(ctx, func(path, name string, _ *sync.Mutex) error {
			if !isEntryName(name) {
				return nil
			}
			h, key, _, err := readHeader(path, &buf)
			if errors.Is(err, ErrCorrupt) {
				// Damaged (a crash without Options.Sync truncates): said,
				// with its key when the header holds it, and passed over.
				if !yield(backends.Entry{Key: key, Size: -1}, fmt.Errorf("filesystem scan %q: %w: %w", b.dir, backends.ErrCorrupt, err)) {
					return stop
				}
				return nil
			}
			if err != nil {
				return nil // removed meanwhile
			}
			e := backends.Entry{Key: key, Size: h.valueLen}
			if h.expires != 0 {
				e.Expires = time.Unix(0, h.expires)
			}
			if !yield(e, nil) {
				return stop
			}
			return nil
		})
		if err != nil && err != stop {
			yield(backends.Entry{}, fmt.Errorf("filesystem scan %q: %w", b.dir, err))
		}
	}
}

// readHeader reads the header and key of the entry file at path, using
// *buf (grown as needed), and checks the file's size against the header.
// When only that check fails, the key comes back with the error.
func readHeader(path string, buf *[]byte) (header, string, os.FileInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return header{}, "", nil, err
	}
	defer f.Close()
	if cap(*buf) < fixedSize {
		*buf = make([]byte, 4096)
	}
	n, err := io.ReadAtLeast(f, (*buf)[:cap(*buf)], fixedSize)
	if err != nil {
		return header{}, "", nil, fmt.Errorf("%s: %w (%w)", path, ErrCorrupt, err)
	}
	h, err := parseHeader((*buf)[:n])
	if err != nil {
		return header{}, "", nil, fmt.Errorf("%s: %w", path, err)
	}
	if need := fixedSize + h.keyLen; n < need {
		if cap(*buf) < need {
			grown := make([]byte, need)
			copy(grown, (*buf)[:n])
			*buf = grown
		}
		if _, err := io.ReadFull(f, (*buf)[n:need]); err != nil {
			return header{}, "", nil, fmt.Errorf("%s: %w (%w)", path, ErrCorrupt, err)
		}
	}
	fi, err := f.Stat()
	if err != nil {
		return header{}, "", nil, err
	}
	if fi.Size() != h.size() {
		// The header and key are whole: say whose file it is.
		return header{}, string((*buf)[fixedSize : fixedSize+h.keyLen]), fi, fmt.Errorf("%s: file of %d bytes, header says %d: %w", path, fi.Size(), h.size(), ErrCorrupt)
	}
	return h, string((*buf)[fixedSize : fixedSize+h.keyLen]), fi, nil
}

// walk calls fn for every file in the fan-out directories (entries and
// temporary files), checking ctx and Close between directories. A directory
// removed meanwhile is skipped.
func (b *Backend) walk(ctx context.Context, fn func(path, name string, lock *sync.Mutex) error) error {
	level1, err := os.ReadDir(b.dir)
	if err != nil {
		return err
	}
	for _, d1 := range level1 {
		if !d1.IsDir() || !isFanoutName(d1.Name()) {
			continue
		}
		lock := &b.locks[hexByte(d1.Name())]
		p1 := filepath.Join(b.dir, d1.Name())
		level2, err := os.ReadDir(p1)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		} else if err != nil {
			return err
		}
		for _, d2 := range level2 {
			if !d2.IsDir() || !isFanoutName(d2.Name()) {
				continue
			}
			if err := b.state.Check(ctx); err != nil {
				return err
			}
			p2 := filepath.Join(p1, d2.Name())
			files, err := os.ReadDir(p2)
			if errors.Is(err, fs.ErrNotExist) {
				continue
			} else if err != nil {
				return err
			}
			for _, f := range files {
				if !f.Type().IsRegular() {
					continue
				}
				if err := fn(filepath.Join(p2, f.Name()), f.Name(), lock); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// Sweep deletes every expired or unreadable entry file, and temporary files
// an hour old (left by a crashed writer), and returns how many entries it
// deleted.
func (b *Backend) Sweep(ctx context.Context) (int, error) {
	if err := b.state.Check(ctx); err != nil {
		return 0, fmt.Errorf("filesystem sweep: %w", err)
	}
	n := 0
	buf := make([]byte, 4096)
	now := time.Now()
	err := b.walk(ctx, func(path, name string, lock *sync.Mutex) error {
		if strings.HasPrefix(name, tempPrefix) {
			if fi, err := os.Lstat(path); err == nil && now.Sub(fi.ModTime()) > staleTemp {
				_ = os.Remove(path)
			}
			return nil
		}
		if !isEntryName(name) {
			return nil
		}
		h, _, fi, err := readHeader(path, &buf)
		switch {
		case errors.Is(err, ErrCorrupt) && fi == nil:
			// Too short to have a size check: remove by name.
			if fi, err = os.Lstat(path); err != nil {
				return nil
			}
		case errors.Is(err, ErrCorrupt):
		case err != nil:
			return nil // removed meanwhile
		case !h.expired(now.UnixNano()):
			return nil
		}
		if b.removeIfSame(path, lock, fi) {
			n++
		}
		return nil
	})
	if err != nil {
		return n, fmt.Errorf("filesystem sweep %q: %w", b.dir, err)
	}
	return n, nil
}

// Clear removes every entry (the fan-out directories and all they hold).
// Other files in the cache directory are left alone.
func (b *Backend) Clear(ctx context.Context) error {
	if err := b.state.Check(ctx); err != nil {
		return fmt.Errorf("filesystem clear: %w", err)
	}
	level1, err := os.ReadDir(b.dir)
	if err != nil {
		return fmt.Errorf("filesystem clear %q: %w", b.dir, err)
	}
	for _, d := range level1 {
		if d.IsDir() && isFanoutName(d.Name()) {
			if err := os.RemoveAll(filepath.Join(b.dir, d.Name())); err != nil {
				return fmt.Errorf("filesystem clear %q: %w", b.dir, err)
			}
		}
	}
	b.entries.Store(0)
	b.bytes.Store(0)
	return nil
}

// Close makes later calls return backends.ErrClosed. Files stay.
func (b *Backend) Close() error {
	if !b.state.Close() {
		return fmt.Errorf("filesystem close %q: %w", b.dir, backends.ErrClosed)
	}
	return nil
}

// over reports whether the counts exceed a bound.
func (b *Backend) over() bool {
	return (b.opts.MaxEntries > 0 && b.entries.Load() > int64(b.opts.MaxEntries)) ||
		(b.opts.MaxBytes > 0 && b.bytes.Load() > b.opts.MaxBytes)
}

// pruneTarget is the percentage of its bounds a prune brings the cache to.
const pruneTarget = 90

// prune deletes expired and unreadable files, then the least recently
// written, until the cache is within pruneTarget of its bounds. Only one
// prune runs at a time; a Set that finds one running does not wait.
func (b *Backend) prune(ctx context.Context) error {
	if !b.pruning.TryLock() {
		return nil
	}
	defer b.pruning.Unlock()
	type file struct {
		path  string
		lock  *sync.Mutex
		fi    os.FileInfo
		dead  bool
		mtime time.Time
	}
	var files []file
	buf := make([]byte, 4096)
	now := time.Now().UnixNano()
	err := b.walk(ctx, func(path, name string, lock *sync.Mutex) error {
		if !isEntryName(name) {
			return nil
		}
		h, _, fi, err := readHeader(path, &buf)
		if fi == nil {
			if !errors.Is(err, ErrCorrupt) {
				return nil
			}
			if fi, err = os.Lstat(path); err != nil {
				return nil
			}
		}
		files = append(files, file{path: path, lock: lock, fi: fi, mtime: fi.ModTime(), dead: err != nil || h.expired(now)})
		return nil
	})
	if err != nil {
		return err
	}
	var entries, bytes int64
	for _, f := range files {
		entries++
		bytes += f.fi.Size()
	}
	// Expired and unreadable files first, then oldest first.
	sort.SliceStable(files, func(i, j int) bool {
		if files[i].dead != files[j].dead {
			return files[i].dead
		}
		return files[i].mtime.Before(files[j].mtime)
	})
	maxEntries := int64(b.opts.MaxEntries) * pruneTarget / 100
	maxBytes := b.opts.MaxBytes * pruneTarget / 100
	for _, f := range files {
		fits := (b.opts.MaxEntries <= 0 || entries <= maxEntries) && (b.opts.MaxBytes <= 0 || bytes <= maxBytes)
		if fits && !f.dead {
			break
		}
		f.lock.Lock()
		cur, err := os.Lstat(f.path)
		if err == nil && os.SameFile(cur, f.fi) && os.Remove(f.path) == nil {
			entries--
			bytes -= f.fi.Size()
		}
		f.lock.Unlock()
	}
	b.entries.Store(entries)
	b.bytes.Store(bytes)
	return nil
}

// isFanoutName reports whether name is a fan-out directory: two lowercase
// hex digits.
func isFanoutName(name string) bool {
	return len(name) == 2 && isHex(name)
}

// isEntryName reports whether name is an entry file: 64 lowercase hex
// digits.
func isEntryName(name string) bool {
	return len(name) == 2*sha256.Size && isHex(name)
}

func isHex(s string) bool {
	for i := range len(s) {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// hexByte decodes a two-digit fan-out name.
func hexByte(name string) byte {
	var v byte
	for i := range 2 {
		c := name[i]
		v <<= 4
		if c <= '9' {
			v |= c - '0'
		} else {
			v |= c - 'a' + 10
		}
	}
	return v
}
