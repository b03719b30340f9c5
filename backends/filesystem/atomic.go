package filesystem

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/backends/internal/expiry"
)

// lockDir is the directory, inside the cache directory, that holds one
// lock file per shard for Add and Incr across processes. Clear leaves it
// (it is not a fan-out directory).
const lockDir = ".locks"

// Add stores value under key unless a live value is there: it implements
// backends.Adder. The check and the rename that stores the value run under
// the key's shard lock and its lock file (see atomicUpdate).
func (b *Backend) Add(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error) {
	if err := b.state.Check(ctx); err != nil {
		return false, fmt.Errorf("filesystem add %q: %w", key, err)
	}
	if err := b.fits(key, value); err != nil {
		return false, fmt.Errorf("filesystem add %q: %w", key, err)
	}
	var added bool
	err := b.atomicUpdate(ctx, key, func(_ header, _ []byte, found bool) ([]byte, int64, error) {
		if found {
			return nil, 0, nil
		}
		added = true
		return value, expiry.UnixNano(time.Now(), ttl), nil
	})
	if err != nil {
		return false, fmt.Errorf("filesystem add %q: %w", key, err)
	}
	return added, nil
}

// Incr adds delta to the decimal integer stored under key: it implements
// backends.Incrementer. The read and the rename that stores the result run
// under the key's shard lock and its lock file (see atomicUpdate).
func (b *Backend) Incr(ctx context.Context, key string, delta int64, ttl time.Duration) (int64, error) {
	if err := b.state.Check(ctx); err != nil {
		return 0, fmt.Errorf("filesystem incr %q: %w", key, err)
	}
	if err := b.fits(key, make([]byte, 20)); err != nil { // the longest int64
		return 0, fmt.Errorf("filesystem incr %q: %w", key, err)
	}
	var n int64
	err := b.atomicUpdate(ctx, key, func(h header, v []byte, found bool) ([]byte, int64, error) {
		if !found {
			n = delta
			return strconv.AppendInt(nil, n, 10), expiry.UnixNano(time.Now(), ttl), nil
		}
		var err error
		if n, err = backends.Increment(v, delta); err != nil {
			return nil, 0, err
		}
		return strconv.AppendInt(nil, n, 10), h.expires, nil
	})
	if err != nil {
		return 0, fmt.Errorf("filesystem incr %q: %w", key, err)
	}
	return n, nil
}

// fits checks key and value against the limits Set enforces.
func (b *Backend) fits(key string, value []byte) error {
	if len(key) > maxKeySize {
		return fmt.Errorf("key of %d bytes, at most %d: %w", len(key), maxKeySize, backends.ErrTooLarge)
	}
	if size := int64(fixedSize + len(key) + len(value)); b.opts.MaxBytes > 0 && size > b.opts.MaxBytes {
		return fmt.Errorf("file of %d bytes, bound is %d: %w", size, b.opts.MaxBytes, backends.ErrTooLarge)
	}
	return nil
}

// atomicUpdate reads the entry of key and lets update decide what to store:
// update gets the entry's header and value and whether it is live (an
// absent, expired or unreadable file is not), and returns the new value and
// its expiry, or a nil value to store nothing. The read and the rename run
// under the shard's mutex, which orders them with this process's Set and
// Delete, and under an exclusive flock of the shard's lock file (on Unix),
// which orders them with Add and Incr in other processes. A Set from
// another process is not ordered with them: it may be overwritten by an
// Incr that read the value before it.
func (b *Backend) atomicUpdate(ctx context.Context, key string, update func(h header, v []byte, found bool) ([]byte, int64, error)) error {
	path, lock := b.locate(key)
	stored, err := func() (bool, error) {
		lock.Lock()
		defer lock.Unlock()
		unlock, err := b.lockFile(filepath.Base(filepath.Dir(filepath.Dir(path))))
		if err != nil {
			return false, err
		}
		defer unlock()
		if err := b.state.Check(ctx); err != nil {
			return false, err
		}
		var (
			h     header
			v     []byte
			found bool
		)
		buf, _, err := readFile(path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return false, err
		default:
			var stored string
			h, stored, v, err = parseFile(buf)
			found = err == nil && stored == key && !h.expired(time.Now().UnixNano())
		}
		value, expires, err := update(h, v, found)
		if err != nil || value == nil {
			return false, err
		}
		// A concurrent Clear may remove the directory meanwhile: try again
		// once, as Set does.
		for range 2 {
			if err = b.writeLocked(path, key, value, expires); !errors.Is(err, fs.ErrNotExist) {
				break
			}
		}
		return err == nil, err
	}()
	if err != nil {
		return err
	}
	if stored && b.over() {
		// Outside the shard lock: prune takes it.
		if err := b.prune(ctx); err != nil {
			return fmt.Errorf("prune: %w", err)
		}
	}
	return nil
}

// writeLocked puts one entry file in place, as write does, for a caller
// that already holds the shard's lock.
func (b *Backend) writeLocked(path, key string, value []byte, expires int64) error {
	tmp, err := b.writeTemp(path, key, value, expires)
	if err != nil {
		return err
	}
	return b.place(tmp, path, int64(fixedSize+len(key)+len(value)))
}

// lockFile takes the exclusive flock of the lock file of shard (two hex
// digits) and returns its release. Where flock is not available it
// returns a no-op: the shard mutex still orders this process's calls.
func (b *Backend) lockFile(shard string) (func(), error) {
	if !flockSupported {
		return func() {}, nil
	}
	dir := filepath.Join(b.dir, lockDir)
	f, err := os.OpenFile(filepath.Join(dir, shard), os.O_RDONLY|os.O_CREATE, b.opts.fileMode())
	if errors.Is(err, fs.ErrNotExist) {
		// The first lock in this directory.
		if err = os.MkdirAll(dir, b.opts.dirMode()); err == nil {
			f, err = os.OpenFile(filepath.Join(dir, shard), os.O_RDONLY|os.O_CREATE, b.opts.fileMode())
		}
	}
	if err != nil {
		return nil, fmt.Errorf("lock file: %w", err)
	}
	if err := flock(f); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("lock file %s: %w", f.Name(), err)
	}
	// Closing the file releases the flock.
	return func() { _ = f.Close() }, nil
}
