package kv

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/cachedhttp/cachedhttp/backends"
)

// DSN parameters read by Open and OpenAll (and removed before the rest of
// the DSN goes to backends.Open): the Options of the cache.
const (
	ParamTTL    = "kv.ttl"    // Options.TTL, a Go duration ("5m")
	ParamPrefix = "kv.prefix" // Options.Prefix
	ParamCodec  = "kv.codec"  // Options.Codec: msgpack (default) or json
)

// splitDSN separates the kv parameters of dsn from the backend's DSN.
func splitDSN(dsn string) (string, Options, error) {
	var opts Options
	u, err := url.Parse(dsn)
	if err != nil {
		return "", opts, err
	}
	q := u.Query()
	found := false
	for name, vals := range q {
		if !strings.HasPrefix(name, "kv.") {
			continue
		}
		found = true
		v := vals[len(vals)-1]
		switch name {
		case ParamTTL:
			if opts.TTL, err = time.ParseDuration(v); err != nil {
				return "", opts, fmt.Errorf("%s=%q: %w", name, v, err)
			}
		case ParamPrefix:
			opts.Prefix = v
		case ParamCodec:
			if opts.Codec, err = codecByName(v); err != nil {
				return "", opts, fmt.Errorf("%s: %w", name, err)
			}
		default:
			return "", opts, fmt.Errorf("unknown parameter %q (known: %s, %s, %s)", name, ParamTTL, ParamPrefix, ParamCodec)
		}
		q.Del(name)
	}
	if !found {
		return dsn, opts, nil // as given: re-encoding could change it
	}
	u.RawQuery = q.Encode()
	return u.String(), opts, nil
}

// Open opens the store named by dsn with backends.Open and returns a Cache
// over it that owns it (Close closes it). The parameters kv.ttl, kv.prefix
// and kv.codec set the cache's Options; the others are the store's:
//
//	kv.Open(ctx, "redis://127.0.0.1:6379/0?prefix=app:&kv.ttl=5m")
//
// The store's package must be imported so that its scheme is registered.
func Open(ctx context.Context, dsn string) (*Cache, error) {
	bdsn, opts, err := splitDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("kv open: %w", err)
	}
	b, err := backends.Open(ctx, bdsn)
	if err != nil {
		return nil, fmt.Errorf("kv open: %w", err)
	}
	c := New(b, opts)
	c.owned = true
	return c, nil
}

// Caches is a set of named caches opened together from configuration
// (Core-Lib's cache registry and handler names): a service names its
// caches ("sessions", "pages") and the deployment maps each name to a
// store. It is safe for concurrent use.
type Caches struct {
	caches map[string]*Cache
	stores []backends.Backend // each once, in the order opened
}

// OpenAll opens a Cache for each name in dsns, as Open does. Names whose
// DSNs differ only in their kv parameters share one store (one bbolt file
// can hold "sessions" and "pages" under two prefixes, for instance). On
// failure it closes what it opened and names the cache that failed.
//
// It returns a value rather than filling a process-wide registry as
// Core-Lib does: the caller passes the caches it made to whatever needs
// them, tests open their own, and nothing outlives Close.
func OpenAll(ctx context.Context, dsns map[string]string) (*Caches, error) {
	names := make([]string, 0, len(dsns))
	for name := range dsns {
		names = append(names, name)
	}
	sort.Strings(names)
	cs := &Caches{caches: make(map[string]*Cache, len(dsns))}
	byDSN := map[string]backends.Backend{}
	for _, name := range names {
		bdsn, opts, err := splitDSN(dsns[name])
		if err == nil {
			b, ok := byDSN[bdsn]
			if !ok {
				b, err = backends.Open(ctx, bdsn)
				if err == nil {
					byDSN[bdsn] = b
					cs.stores = append(cs.stores, b)
				}
			}
			if err == nil {
				cs.caches[name] = New(b, opts)
				continue
			}
		}
		err = fmt.Errorf("kv open all: cache %q: %w", name, err)
		return nil, errors.Join(err, cs.Close())
	}
	return cs, nil
}

// Cache returns the cache opened under name, or an error matching
// ErrUnknownCache that lists the names there are.
func (cs *Caches) Cache(name string) (*Cache, error) {
	if c, ok := cs.caches[name]; ok {
		return c, nil
	}
	return nil, fmt.Errorf("kv: cache %q: %w (have %s)", name, ErrUnknownCache, strings.Join(cs.Names(), ", "))
}

// Names returns the names of the caches, sorted.
func (cs *Caches) Names() []string {
	names := make([]string, 0, len(cs.caches))
	for name := range cs.caches {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// Close closes every store, each once, and returns their errors joined.
func (cs *Caches) Close() error {
	var errs []error
	for _, b := range cs.stores {
		if err := b.Close(); err != nil {
			errs = append(errs, fmt.Errorf("kv close: %w", err))
		}
	}
	cs.stores = nil
	return errors.Join(errs...)
}
