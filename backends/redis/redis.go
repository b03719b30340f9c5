package redis

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"iter"
	"strings"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/backends/internal/expiry"
	"github.com/cachedhttp/cachedhttp/backends/internal/lifecycle"
)

// DefaultPrefix is the key prefix used when Options.Prefix is empty.
const DefaultPrefix = "cachedhttp:"

// DefaultScanCount is the SCAN COUNT hint and Clear/Delete batch size used
// when Options.ScanCount is zero.
const DefaultScanCount = 512

// MaxValue is the largest value Redis stores in one string (its
// proto-max-bulk-len default, 512 MiB). Set rejects larger values with
// backends.ErrTooLarge before sending anything.
const MaxValue = 512 << 20

// Options configure a Backend. The zero value is ready to use.
type Options struct {
	// Prefix is prepended to every key; it is the backend's namespace:
	// Clear and Scan touch only keys that start with it. Empty means
	// DefaultPrefix ("cachedhttp:").
	Prefix string
	// ScanCount is the COUNT hint given to SCAN and the number of keys
	// deleted per UNLINK round by Clear and Delete. Zero means
	// DefaultScanCount (512).
	ScanCount int
	// CloseClient makes Backend.Close close the client too. It is false by
	// default because the caller who made the client usually owns it;
	// backends opened from a DSN set it.
	CloseClient bool
}

// Backend is a backends.Backend stored in Redis. It is safe for concurrent
// use.
type Backend struct {
	client      goredis.UniversalClient
	prefix      string
	match       string // SCAN MATCH pattern: the escaped prefix followed by *
	scanCount   int
	closeClient bool
	perKey      bool // multi-key commands may cross slots or shards
	state       lifecycle.State
}

var (
	_ backends.Backend = (*Backend)(nil)
	_ backends.Batcher = (*Backend)(nil)
)

// New returns a Backend that stores its entries through client, which may be
// a *goredis.Client (single server or Sentinel failover client), a
// *goredis.ClusterClient or a *goredis.Ring.
func New(client goredis.UniversalClient, opts Options) (*Backend, error) {
	if client == nil {
		return nil, errors.New("redis: new backend: nil client")
	}
	if opts.ScanCount < 0 {
		return nil, fmt.Errorf("redis: new backend: negative ScanCount %d", opts.ScanCount)
	}
	b := &Backend{
		client:      client,
		prefix:      opts.Prefix,
		scanCount:   opts.ScanCount,
		closeClient: opts.CloseClient,
	}
	if b.prefix == "" {
		b.prefix = DefaultPrefix
	}
	if b.scanCount == 0 {
		b.scanCount = DefaultScanCount
	}
	b.match = escapeGlob(b.prefix) + "*"
	switch client.(type) {
	case *goredis.ClusterClient, *goredis.Ring:
		b.perKey = true
	}
	return b, nil
}

// Prefix returns the key prefix (namespace) of b.
func (b *Backend) Prefix() string { return b.prefix }

// Client returns the client b uses.
func (b *Backend) Client() goredis.UniversalClient { return b.client }

// Get returns the value stored under key, or an error matching
// backends.ErrNotFound.
func (b *Backend) Get(ctx context.Context, key string) ([]byte, error) {
	if err := b.state.Begin(ctx, "redis get", key); err != nil {
		return nil, err
	}
	v, err := b.client.Get(ctx, b.prefix+key).Bytes()
	if err != nil {
		if errors.Is(err, goredis.Nil) {
			return nil, fmt.Errorf("redis get %q: %w", key, backends.ErrNotFound)
		}
		return nil, fmt.Errorf("redis get %q: %w", key, err)
	}
	return v, nil
}

// Set stores value under key with SET PX; a ttl of zero or less stores it
// without expiry. A ttl below one millisecond is rounded up to one.
func (b *Backend) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if err := b.state.Begin(ctx, "redis set", key); err != nil {
		return err
	}
	if len(value) > MaxValue {
		return fmt.Errorf("redis set %q: %d bytes: %w", key, len(value), backends.ErrTooLarge)
	}
	// PX counts milliseconds: round up so the value never expires before
	// the caller asked (zero: no expiry).
	ttl = expiry.Round(ttl, time.Millisecond)
	if value == nil {
		value = []byte{}
	}
	if err := b.client.Set(ctx, b.prefix+key, value, ttl).Err(); err != nil {
		return fmt.Errorf("redis set %q: %w", key, err)
	}
	return nil
}

// SetMany stores items in one pipeline: one round trip to a server, and on
// a cluster one to each node holding some of the keys (go-redis routes each
// SET by its slot). The SETs run in order, so a key repeated in items ends
// with its last value. An item larger than MaxValue is not sent; its error
// (matching backends.ErrTooLarge) is returned joined with any other, and
// the other items are stored.
func (b *Backend) SetMany(ctx context.Context, items []backends.Item) error {
	keys := make([]string, len(items))
	for i, it := range items {
		keys[i] = it.Key
	}
	if err := b.state.BeginMany(ctx, "redis set many", keys); err != nil || len(items) == 0 {
		return err
	}
	var errs []error
	type sent struct {
		key string
		cmd *goredis.StatusCmd
	}
	cmds := make([]sent, 0, len(items))
	_, err := b.client.Pipelined(ctx, func(p goredis.Pipeliner) error {
		for _, it := range items {
			if len(it.Value) > MaxValue {
				errs = append(errs, fmt.Errorf("redis set %q: %d bytes: %w", it.Key, len(it.Value), backends.ErrTooLarge))
				continue
			}
			v := it.Value
			if v == nil {
				v = []byte{}
			}
			cmds = append(cmds, sent{it.Key, p.Set(ctx, b.prefix+it.Key, v, expiry.Round(it.TTL, time.Millisecond))})
		}
		return nil
	})
	if err != nil {
		for _, c := range cmds {
			if cerr := c.cmd.Err(); cerr != nil {
				errs = append(errs, fmt.Errorf("redis set %q: %w", c.key, cerr))
			}
		}
		if len(errs) == 0 {
			errs = append(errs, fmt.Errorf("redis set many %s: %w", lifecycle.DescribeKeys(keys), err))
		}
	}
	return errors.Join(errs...)
}

// Delete removes keys with UNLINK. On a cluster or ring each key is unlinked
// by its own command in one pipeline, which go-redis routes to the node
// owning the key's slot; elsewhere keys are unlinked in batches of
// ScanCount.
func (b *Backend) Delete(ctx context.Context, keys ...string) error {
	if err := b.state.BeginMany(ctx, "redis delete", keys); err != nil || len(keys) == 0 {
		return err
	}
	full := make([]string, len(keys))
	for i, k := range keys {
		full[i] = b.prefix + k
	}
	if err := b.unlink(ctx, b.client, full); err != nil {
		return fmt.Errorf("redis delete %s: %w", lifecycle.DescribeKeys(keys), err)
	}
	return nil
}

// unlink removes full (already prefixed) keys through c.
func (b *Backend) unlink(ctx context.Context, c goredis.Cmdable, full []string) error {
	for len(full) > 0 {
		n := min(len(full), b.scanCount)
		batch := full[:n]
		full = full[n:]
		if !b.perKey {
			if err := c.Unlink(ctx, batch...).Err(); err != nil {
				return err
			}
			continue
		}
		_, err := c.Pipelined(ctx, func(p goredis.Pipeliner) error {
			for _, k := range batch {
				p.Unlink(ctx, k)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// Scan yields every key under the prefix, with its expiry (PTTL) and size
// (STRLEN) fetched in one pipeline per SCAN batch. On a cluster it walks
// every primary in turn. SCAN may return a key twice (when Redis rehashes
// during the walk); Scan remembers a 16-byte digest of every key it yielded
// to yield each once, so a walk over n keys holds about 40n bytes. Keys
// written during the walk may or may not appear.
func (b *Backend) Scan(ctx context.Context) iter.Seq2[backends.Entry, error] {
	return func(yield func(backends.Entry, error) bool) {
		if err := b.state.Check(ctx); err != nil {
			yield(backends.Entry{}, fmt.Errorf("redis scan: %w", err))
			return
		}
		nodes, err := b.nodes(ctx)
		if err != nil {
			yield(backends.Entry{}, fmt.Errorf("redis scan: %w", err))
			return
		}
		seen := map[[16]byte]struct{}{}
		for _, node := range nodes {
			err := b.walk(ctx, node, func(keys []string) error {
				entries, err := b.describe(ctx, node, keys)
				if err != nil {
					return err
				}
				for _, e := range entries {
					sum := sha256.Sum256([]byte(e.Key))
					d := [16]byte(sum[:16])
					if _, dup := seen[d]; dup {
						continue
					}
					seen[d] = struct{}{}
					if !yield(e, nil) {
						return errStop
					}
				}
				return nil
			})
			if errors.Is(err, errStop) {
				return
			}
			if err != nil {
				yield(backends.Entry{}, fmt.Errorf("redis scan: %w", err))
				return
			}
		}
	}
}

// errStop ends a walk early when the consumer of Scan stops iterating.
var errStop = errors.New("stop")

// describe fetches PTTL and STRLEN of full (prefixed) keys in one pipeline.
// Keys that vanished since SCAN returned them are left out.
func (b *Backend) describe(ctx context.Context, node goredis.Cmdable, full []string) ([]backends.Entry, error) {
	ttls := make([]*goredis.DurationCmd, len(full))
	lens := make([]*goredis.IntCmd, len(full))
	// A STRLEN error (WRONGTYPE: someone else's key under our prefix) makes
	// Pipelined fail too; only the PTTL errors, read below, matter.
	_, _ = node.Pipelined(ctx, func(p goredis.Pipeliner) error {
		for i, k := range full {
			ttls[i] = p.PTTL(ctx, k)
			lens[i] = p.StrLen(ctx, k)
		}
		return nil
	})
	now := time.Now()
	entries := make([]backends.Entry, 0, len(full))
	for i, k := range full {
		ttl, terr := ttls[i].Result()
		if terr != nil {
			return nil, fmt.Errorf("pttl %q: %w", k, terr)
		}
		e := backends.Entry{Key: k[len(b.prefix):], Size: -1}
		switch {
		case ttl == -2: // gone since SCAN saw it
			continue
		case ttl >= 0:
			e.Expires = now.Add(ttl)
		}
		if n, lerr := lens[i].Result(); lerr == nil {
			e.Size = n
		}
		entries = append(entries, e)
	}
	return entries, nil
}

// Clear unlinks every key under the prefix, on every primary of a cluster.
// Keys of other prefixes are untouched.
func (b *Backend) Clear(ctx context.Context) error {
	if err := b.state.Begin(ctx, "redis clear", b.prefix); err != nil {
		return err
	}
	nodes, err := b.nodes(ctx)
	if err != nil {
		return fmt.Errorf("redis clear %q: %w", b.prefix, err)
	}
	for _, node := range nodes {
		err := b.walk(ctx, node, func(keys []string) error {
			return b.unlink(ctx, node, keys)
		})
		if err != nil {
			return fmt.Errorf("redis clear %q: %w", b.prefix, err)
		}
	}
	return nil
}

// Close marks b closed and, when Options.CloseClient was set, closes the
// client. Calls after Close, Close included, return an error matching
// backends.ErrClosed.
func (b *Backend) Close() error {
	if !b.state.Close() {
		return fmt.Errorf("redis close: %w", backends.ErrClosed)
	}
	if b.closeClient {
		if err := b.client.Close(); err != nil {
			return fmt.Errorf("redis close: %w", err)
		}
	}
	return nil
}

// nodes returns the clients to SCAN: every primary of a cluster, every shard
// of a ring, or the client itself. A cluster runs its callback concurrently;
// the clients are collected so that Scan yields from one goroutine.
func (b *Backend) nodes(ctx context.Context) ([]goredis.Cmdable, error) {
	var (
		mu    sync.Mutex
		nodes []goredis.Cmdable
	)
	collect := func(_ context.Context, c *goredis.Client) error {
		mu.Lock()
		nodes = append(nodes, c)
		mu.Unlock()
		return nil
	}
	switch c := b.client.(type) {
	case *goredis.ClusterClient:
		if err := c.ForEachMaster(ctx, collect); err != nil {
			return nil, fmt.Errorf("list cluster primaries: %w", err)
		}
	case *goredis.Ring:
		if err := c.ForEachShard(ctx, collect); err != nil {
			return nil, fmt.Errorf("list ring shards: %w", err)
		}
	default:
		nodes = append(nodes, b.client)
	}
	return nodes, nil
}

// walk runs SCAN MATCH prefix* on node and calls fn with each non-empty
// batch of keys (prefixed) until the cursor returns to zero.
func (b *Backend) walk(ctx context.Context, node goredis.Cmdable, fn func(keys []string) error) error {
	var cursor uint64
	for {
		keys, next, err := node.Scan(ctx, cursor, b.match, int64(b.scanCount)).Result()
		if err != nil {
			return fmt.Errorf("scan cursor %d: %w", cursor, err)
		}
		if len(keys) > 0 {
			if err := fn(keys); err != nil {
				return err
			}
		}
		if next == 0 {
			return nil
		}
		cursor = next
	}
}

// escapeGlob escapes the characters that are special in a Redis glob
// pattern, so that a prefix such as "app[1]:" matches only itself.
func escapeGlob(s string) string {
	var sb strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '*', '?', '[', ']', '\\', '^', '-':
			sb.WriteByte('\\')
			sb.WriteByte(c)
		default:
			sb.WriteByte(c)
		}
	}
	return sb.String()
}
