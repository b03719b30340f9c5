package gregjones

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"iter"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/gregjones/httpcache"
	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/opt"

	"github.com/cachedhttp/cachedhttp/backends"
)

// Source is an existing gregjones store to import from.
type Source interface {
	// Entries yields the store's entries. An error about one entry (a file
	// that cannot be read) is yielded with that entry's Key and the
	// iteration goes on; an error with an empty Key (the store failed, ctx
	// ended) ends it.
	Entries(ctx context.Context) iter.Seq2[Entry, error]
	// Len returns how many entries Entries will yield, or -1 when the
	// store cannot tell without reading them. It is for progress lines.
	Len(ctx context.Context) (int, error)
	// Close releases what the Source opened.
	Close() error
}

// Source DSN schemes, for OpenSource and `cachedhttp migrate -from`.
const (
	// SchemeDisk names a diskcache directory:
	// httpcache-disk:relative/dir or httpcache-disk:///absolute/dir.
	SchemeDisk = "httpcache-disk"
	// SchemeLevelDB names a leveldbcache database directory:
	// httpcache-leveldb:relative/dir or httpcache-leveldb:///absolute/dir.
	SchemeLevelDB = "httpcache-leveldb"
	// SchemeBackendPrefix before any cachedhttp backend DSN names a backend
	// that a gregjones Transport wrote through a Cache:
	// httpcache+bbolt:old.db. gregjones' own redis package stores its
	// responses as cachedhttp's redis backend does with the prefix
	// "rediscache:", so httpcache+redis://host:6379/0?prefix=rediscache:
	// reads such a store.
	SchemeBackendPrefix = "httpcache+"
)

// IsSourceDSN reports whether dsn names a gregjones store (see OpenSource)
// rather than a cachedhttp backend.
func IsSourceDSN(dsn string) bool {
	s, _, ok := strings.Cut(dsn, ":")
	s = strings.ToLower(s)
	return ok && (s == SchemeDisk || s == SchemeLevelDB || strings.HasPrefix(s, SchemeBackendPrefix))
}

// OpenSource opens the gregjones store named by dsn:
//
//	httpcache-disk:DIR          a diskcache directory (keys required)
//	httpcache-leveldb:DIR       a leveldbcache database (keys optional)
//	httpcache+BACKEND-DSN       a cachedhttp backend written through a Cache
//	                            (keys optional; its package must be imported)
//
// DIR is relative (httpcache-disk:cache) or absolute
// (httpcache-disk:///var/cache/http). keys are the gregjones keys to import
// (see KeysForURLs); nil imports every entry of a store that can list them.
// A DSN of another scheme is an error matching ErrUnknownSource.
func OpenSource(ctx context.Context, dsn string, keys []string) (Source, error) {
	if !IsSourceDSN(dsn) {
		return nil, fmt.Errorf("gregjones: open %q: %w", dsn, ErrUnknownSource)
	}
	scheme, rest, _ := strings.Cut(dsn, ":")
	if s := strings.ToLower(scheme); strings.HasPrefix(s, SchemeBackendPrefix) {
		inner := scheme[len(SchemeBackendPrefix):] + ":" + rest
		b, err := backends.Open(ctx, inner)
		if err != nil {
			return nil, fmt.Errorf("gregjones: open %q: %w", dsn, err)
		}
		return &backendSource{b: b, keys: keys, owns: true}, nil
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return nil, fmt.Errorf("gregjones: open %q: %w", dsn, err)
	}
	dir := u.Path
	if u.Opaque != "" {
		dir = u.Opaque
	}
	switch {
	case u.Host != "":
		return nil, fmt.Errorf("gregjones: open %q: DSN has host %q; write %s:///absolute/dir or %[3]s:relative/dir", dsn, u.Host, u.Scheme)
	case dir == "":
		return nil, fmt.Errorf("gregjones: open %q: DSN names no directory", dsn)
	case u.RawQuery != "":
		return nil, fmt.Errorf("gregjones: open %q: unexpected parameters %q", dsn, u.RawQuery)
	}
	if strings.EqualFold(u.Scheme, SchemeDisk) {
		return OpenDisk(dir, keys)
	}
	return OpenLevelDB(dir, keys)
}

// KeysForURLs returns the gregjones keys to look up for lines of the form
// "URL" or "METHOD URL" (blank lines and lines starting with # are
// skipped). A URL alone stands for its GET response and, because gregjones
// stores it separately, its HEAD response. Keys are unique, in order.
func KeysForURLs(lines []string) ([]string, error) {
	var keys []string
	seen := map[string]bool{}
	add := func(k string) {
		if !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	for i, line := range lines {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		method, raw := http.MethodGet, line
		if m, u, ok := strings.Cut(line, " "); ok {
			method, raw = strings.ToUpper(m), strings.TrimSpace(u)
		}
		k, err := Key(method, raw)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", i+1, err)
		}
		add(k)
		if method == http.MethodGet {
			head, _ := Key(http.MethodHead, raw)
			add(head)
		}
	}
	return keys, nil
}

// Disk is a Source over a diskcache directory (diskcache.New(dir)). It
// reads the files directly, and dates each entry by its file's
// modification time.
//
// diskcache names each file by the MD5 of its key and stores nothing else
// about the request, so the URLs cannot be recovered from the directory:
// Disk imports the keys it is given, and Unnamed counts the files none of
// them names. Only diskv's default flat layout (diskcache.New) is read.
type Disk struct {
	dir   string
	keys  []string
	files map[string]bool // MD5 file names present -> named by a key
}

// OpenDisk lists dir and returns a Source of the entries stored under keys
// (see KeysForURLs). Without keys it returns ErrKeysRequired.
func OpenDisk(dir string, keys []string) (*Disk, error) {
	if len(keys) == 0 {
		return nil, fmt.Errorf("gregjones: open diskcache %s: %w", dir, ErrKeysRequired)
	}
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("gregjones: open diskcache %s: %w", dir, err)
	}
	d := &Disk{dir: dir, files: map[string]bool{}}
	for _, de := range des {
		if de.Type().IsRegular() && isMD5Name(de.Name()) {
			d.files[de.Name()] = false
		}
	}
	seen := map[string]bool{}
	for _, k := range keys {
		name := diskName(k)
		if _, ok := d.files[name]; ok && !seen[k] {
			seen[k] = true
			d.files[name] = true
			d.keys = append(d.keys, k)
		}
	}
	return d, nil
}

// diskName is the file name diskcache gives key.
func diskName(key string) string {
	sum := md5.Sum([]byte(key))
	return hex.EncodeToString(sum[:])
}

func isMD5Name(s string) bool {
	if len(s) != 2*md5.Size {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// Unnamed returns how many stored responses no given key names: their URLs
// are unknown, so they are not imported.
func (d *Disk) Unnamed() int {
	n := 0
	for _, named := range d.files {
		if !named {
			n++
		}
	}
	return n
}

// Len returns how many given keys name a file of the directory.
func (d *Disk) Len(context.Context) (int, error) { return len(d.keys), nil }

// Entries yields the entries of the given keys that have a file, in the
// order of the keys.
func (d *Disk) Entries(ctx context.Context) iter.Seq2[Entry, error] {
	return func(yield func(Entry, error) bool) {
		for _, k := range d.keys {
			if err := ctx.Err(); err != nil {
				yield(Entry{}, err)
				return
			}
			path := filepath.Join(d.dir, diskName(k))
			data, err := os.ReadFile(path)
			if errors.Is(err, fs.ErrNotExist) {
				continue // deleted since OpenDisk
			}
			var e Entry
			if err == nil {
				var fi os.FileInfo
				if fi, err = os.Stat(path); err == nil {
					e = Entry{Key: k, Data: data, Stored: fi.ModTime()}
				}
			}
			if err != nil {
				e, err = Entry{Key: k}, fmt.Errorf("gregjones: read %s: %w", path, err)
			}
			if !yield(e, err) {
				return
			}
		}
	}
}

// Close does nothing: Disk holds nothing open.
func (d *Disk) Close() error { return nil }

// LevelDB is a Source over a leveldbcache database, opened read-only. It
// knows its keys, so it imports every entry when given none; it does not
// know when an entry was stored (entries are dated by their Date field).
type LevelDB struct {
	db   *leveldb.DB
	keys []string
}

// OpenLevelDB opens the leveldbcache database at path read-only. With keys
// (see KeysForURLs) only those entries are imported; without, all.
// leveldb admits one process at a time: stop the program that uses it
// first.
func OpenLevelDB(path string, keys []string) (*LevelDB, error) {
	db, err := leveldb.OpenFile(path, &opt.Options{ReadOnly: true, ErrorIfMissing: true})
	if err != nil {
		return nil, fmt.Errorf("gregjones: open leveldb %s: %w", path, err)
	}
	return &LevelDB{db: db, keys: keys}, nil
}

// Len counts the entries Entries will yield.
func (l *LevelDB) Len(ctx context.Context) (int, error) {
	n := 0
	if l.keys != nil {
		for _, k := range l.keys {
			ok, err := l.db.Has([]byte(k), nil)
			if err != nil {
				return 0, fmt.Errorf("gregjones: leveldb has %q: %w", k, err)
			}
			if ok {
				n++
			}
		}
		return n, nil
	}
	it := l.db.NewIterator(nil, nil)
	defer it.Release()
	for it.Next() {
		if n%1024 == 0 && ctx.Err() != nil {
			return 0, ctx.Err()
		}
		n++
	}
	if err := it.Error(); err != nil {
		return 0, fmt.Errorf("gregjones: leveldb count: %w", err)
	}
	return n, nil
}

// Entries yields the given keys' entries, or every entry in key order.
func (l *LevelDB) Entries(ctx context.Context) iter.Seq2[Entry, error] {
	return func(yield func(Entry, error) bool) {
		if l.keys != nil {
			for _, k := range l.keys {
				if err := ctx.Err(); err != nil {
					yield(Entry{}, err)
					return
				}
				v, err := l.db.Get([]byte(k), nil)
				if errors.Is(err, leveldb.ErrNotFound) {
					continue
				}
				if err != nil {
					if !yield(Entry{Key: k}, fmt.Errorf("gregjones: leveldb get %q: %w", k, err)) {
						return
					}
					continue
				}
				if !yield(Entry{Key: k, Data: v}, nil) {
					return
				}
			}
			return
		}
		it := l.db.NewIterator(nil, nil)
		defer it.Release()
		for it.Next() {
			if err := ctx.Err(); err != nil {
				yield(Entry{}, err)
				return
			}
			// The iterator reuses its buffers: copy.
			e := Entry{Key: string(it.Key()), Data: append([]byte(nil), it.Value()...)}
			if !yield(e, nil) {
				return
			}
		}
		if err := it.Error(); err != nil {
			yield(Entry{}, fmt.Errorf("gregjones: leveldb scan: %w", err))
		}
	}
}

// Close closes the database.
func (l *LevelDB) Close() error { return l.db.Close() }

// FromCache returns a Source that looks up keys (see KeysForURLs) in any
// gregjones Cache, for stores that cannot list their keys (memcache,
// redis, your own). Its Len is unknown (-1); Close does nothing.
func FromCache(c httpcache.Cache, keys []string) Source {
	return &cacheSource{c: c, keys: keys}
}

type cacheSource struct {
	c    httpcache.Cache
	keys []string
}

func (s *cacheSource) Len(context.Context) (int, error) { return -1, nil }
func (s *cacheSource) Close() error                     { return nil }

func (s *cacheSource) Entries(ctx context.Context) iter.Seq2[Entry, error] {
	return func(yield func(Entry, error) bool) {
		for _, k := range s.keys {
			if err := ctx.Err(); err != nil {
				yield(Entry{}, err)
				return
			}
			if v, ok := s.c.Get(k); ok {
				if !yield(Entry{Key: k, Data: v}, nil) {
					return
				}
			}
		}
	}
}

// FromBackend returns a Source over a cachedhttp backend that a gregjones
// Transport wrote through a Cache (NewCache): every entry when keys is
// nil (the backend must Scan), else the given keys. Close does not close
// b.
func FromBackend(b backends.Backend, keys []string) Source {
	return &backendSource{b: b, keys: keys}
}

type backendSource struct {
	b    backends.Backend
	keys []string
	owns bool
}

func (s *backendSource) Len(ctx context.Context) (int, error) {
	if s.keys != nil {
		return -1, nil
	}
	n := 0
	for _, err := range s.b.Scan(ctx) {
		if errors.Is(err, backends.ErrCorrupt) {
			continue // a damaged record: skipped, the scan goes on
		}
		if err != nil {
			return 0, fmt.Errorf("gregjones: count entries: %w", err)
		}
		n++
	}
	return n, nil
}

func (s *backendSource) Close() error {
	if s.owns {
		return s.b.Close()
	}
	return nil
}

func (s *backendSource) Entries(ctx context.Context) iter.Seq2[Entry, error] {
	return func(yield func(Entry, error) bool) {
		get := func(k string) bool {
			v, err := s.b.Get(ctx, k)
			if errors.Is(err, backends.ErrNotFound) {
				return true
			}
			if err != nil {
				if ctx.Err() != nil {
					yield(Entry{}, ctx.Err())
					return false
				}
				return yield(Entry{Key: k}, fmt.Errorf("gregjones: get %q: %w", k, err))
			}
			return yield(Entry{Key: k, Data: v}, nil)
		}
		if s.keys != nil {
			for _, k := range s.keys {
				if err := ctx.Err(); err != nil {
					yield(Entry{}, err)
					return
				}
				if !get(k) {
					return
				}
			}
			return
		}
		for e, err := range s.b.Scan(ctx) {
			if errors.Is(err, backends.ErrCorrupt) {
				continue // a damaged record: skipped, the scan goes on
			}
			if err != nil {
				yield(Entry{}, fmt.Errorf("gregjones: scan: %w", err))
				return
			}
			if !get(e.Key) {
				return
			}
		}
	}
}
