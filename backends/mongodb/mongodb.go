package mongodb

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"sync/atomic"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/backends/internal/bsondoc"
	"github.com/cachedhttp/cachedhttp/backends/internal/chunk"
	"github.com/cachedhttp/cachedhttp/backends/internal/mongodsn"
)

// DefaultChunkSize is the chunk size used when Options.ChunkSize is zero:
// values up to this size are stored inline in one document.
const DefaultChunkSize = 8 << 20

// MaxChunkSize is the largest Options.ChunkSize accepted: a chunk document
// must stay below MongoDB's 16 MiB document limit with its other fields.
const MaxChunkSize = 15 << 20

// upsertRetries bounds the retries of an upsert that failed with a duplicate
// key error (two concurrent upserts of one _id, seen on FerretDB).
const upsertRetries = 8

// Server error codes that mean "this server does not do TTL indexes".
const (
	codeInvalidOptions      = 72
	codeCommandNotSupported = 115
	codeNotImplemented      = 238
	codeIndexOptsConflict   = 85
	codeIndexKeySpecsDiffer = 86
)

// Options configure a Backend. The zero value is ready to use.
type Options struct {
	// ChunkSize is the largest value stored inline in one document; larger
	// values are split into chunks of this size. Zero means
	// DefaultChunkSize (8 MiB); it must not exceed MaxChunkSize.
	ChunkSize int
	// SkipIndexes stops New from creating indexes (the TTL index on expires
	// and the index on parent used to find chunks), for a user without the
	// createIndex privilege or when an administrator manages them. NativeTTL
	// then reports false. The default, false, creates them.
	SkipIndexes bool
}

// Backend stores values in one MongoDB collection. It is safe for
// concurrent use.
type Backend struct {
	coll      *mongo.Collection
	chunkSize int
	nativeTTL bool
	// life is closed by Close, which disconnects the client when the
	// backend was opened from a DSN.
	life mongodsn.Owner
	// noProjection is set once the server refused a projection in
	// findAndModify (FerretDB): Set then reads replaced documents whole.
	noProjection atomic.Bool
}

var (
	_ backends.Backend = (*Backend)(nil)
	_ backends.Sweeper = (*Backend)(nil)
)

// New returns a Backend storing its documents in coll, which belongs to the
// caller: Close does not disconnect its client. Unless opts.SkipIndexes is
// set, New creates the TTL index on expires (see NativeTTL) and an index on
// parent, which is why it takes a context.
func New(ctx context.Context, coll *mongo.Collection, opts Options) (*Backend, error) {
	if coll == nil {
		return nil, errors.New("mongodb new: nil collection")
	}
	cs, err := chunk.Size(opts.ChunkSize, DefaultChunkSize, MaxChunkSize)
	if err != nil {
		return nil, fmt.Errorf("mongodb new: %w", err)
	}
	b := &Backend{coll: coll, chunkSize: cs}
	if !opts.SkipIndexes {
		if err := b.ensureIndexes(ctx); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// ensureIndexes creates the index on parent and the TTL index on expires,
// falling back to a plain index on expires when the server refuses TTL.
func (b *Backend) ensureIndexes(ctx context.Context) error {
	iv := b.coll.Indexes()
	if _, err := iv.CreateOne(ctx, mongo.IndexModel{
		Keys:    bson.D{{Key: "parent", Value: 1}},
		Options: options.Index().SetName("parent_1"),
	}); err != nil {
		return fmt.Errorf("mongodb new: create index parent_1 on %s: %w", b.coll.Name(), err)
	}
	_, err := iv.CreateOne(ctx, mongo.IndexModel{
		Keys:    bson.D{{Key: "expires", Value: 1}},
		Options: options.Index().SetName("expires_ttl").SetExpireAfterSeconds(0),
	})
	if err == nil {
		b.nativeTTL = true
		return nil
	}
	if !ttlRefused(err) {
		return fmt.Errorf("mongodb new: create TTL index expires_ttl on %s: %w", b.coll.Name(), err)
	}
	// No TTL: an ordinary index still makes DeleteExpired cheap. Its failure
	// is not fatal (another index on expires may exist); Get does not need it.
	_, _ = iv.CreateOne(ctx, mongo.IndexModel{
		Keys:    bson.D{{Key: "expires", Value: 1}},
		Options: options.Index().SetName("expires_1"),
	})
	return nil
}

// ttlRefused reports whether err is the server saying it cannot create the
// TTL index: not implemented (FerretDB), not supported, or an index on
// expires already exists with other options.
func ttlRefused(err error) bool {
	var ce mongo.CommandError
	if errors.As(err, &ce) {
		switch ce.Code {
		case codeNotImplemented, codeCommandNotSupported, codeInvalidOptions, codeIndexOptsConflict, codeIndexKeySpecsDiffer:
			return true
		}
	}
	return false
}

// NativeTTL reports whether the server accepted the TTL index on expires,
// so that it deletes expired documents itself. When false, expired
// documents stay (invisible to Get) until DeleteExpired removes them.
func (b *Backend) NativeTTL() bool { return b.nativeTTL }

// Collection returns the collection the backend stores its documents in.
func (b *Backend) Collection() *mongo.Collection { return b.coll }

// Get returns the value stored under key, or an error matching
// backends.ErrNotFound when there is none, it has expired, or one of its
// chunks is missing.
func (b *Backend) Get(ctx context.Context, key string) ([]byte, error) {
	if err := b.life.Begin(ctx, "mongodb get", key); err != nil {
		return nil, err
	}
	id := bsondoc.HashKey(key)
	raw, err := bsondoc.FindOne(ctx, b.coll, bson.D{{Key: "_id", Value: id}})
	if err != nil {
		return nil, fmt.Errorf("mongodb get %q: %w", key, err)
	}
	d, err := decodeDocument(raw)
	if err != nil {
		// A document this package did not write (or a corrupt one) is a miss
		// for the cache; the error says why.
		return nil, fmt.Errorf("mongodb get %q: %w: %w", key, backends.ErrNotFound, err)
	}
	if d.Expired(time.Now()) || d.Key != key {
		return nil, fmt.Errorf("mongodb get %q: %w", key, backends.ErrNotFound)
	}
	if d.Chunks == 0 {
		return d.Value, nil
	}
	ids := d.Ref().Names(func(gen string, i int) string { return chunkID(id, gen, i) })
	parts := make(map[string][]byte, len(ids))
	err = bsondoc.Find(ctx, b.coll, bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: ids}}}},
		options.Find().SetProjection(bson.D{{Key: "value", Value: 1}}), func(raw bson.Raw) error {
			c, err := decodeChunk(raw)
			if err != nil {
				return fmt.Errorf("%w: %w", backends.ErrNotFound, err)
			}
			parts[c.ID] = c.Value
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("mongodb get %q: chunks: %w", key, err)
	}
	v, err := d.Assemble(func(i int) ([]byte, bool) {
		p, ok := parts[ids[i]]
		return p, ok
	})
	if err != nil {
		return nil, fmt.Errorf("mongodb get %q: %w: %w", key, backends.ErrNotFound, err)
	}
	return v, nil
}

// Set stores value under key. A ttl of zero or less means it never expires.
// Values larger than the chunk size are written by chunk.Put: chunks first,
// then the key's document; the chunks of the value it replaces are deleted
// last.
func (b *Backend) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if err := b.life.Begin(ctx, "mongodb set", key); err != nil {
		return err
	}
	w := b.newWrite(key, value, ttl, time.Now())
	if err := chunk.Put(ctx, w, value, b.chunkSize, len(value) <= b.chunkSize); err != nil {
		return fmt.Errorf("mongodb set %q: %w", key, err)
	}
	return nil
}

// newWrite returns the write of value under key, stored at now with ttl:
// the key's document without the value or its chunks.
func (b *Backend) newWrite(key string, value []byte, ttl time.Duration, now time.Time) *write {
	w := &write{b: b, id: bsondoc.HashKey(key), value: value}
	w.doc = bson.D{
		{Key: "_id", Value: w.id},
		{Key: "key", Value: primitive.Binary{Data: []byte(key)}},
	}
	if exp, ok := bsondoc.Expires(now, ttl); ok {
		w.expires = exp
		w.doc = append(w.doc, exp)
	}
	w.doc = append(w.doc, bson.E{Key: "size", Value: int64(len(value))})
	return w
}

// Delete removes the given keys and their chunks. Missing keys are not an
// error.
func (b *Backend) Delete(ctx context.Context, keys ...string) error {
	if err := b.life.BeginMany(ctx, "mongodb delete", keys); err != nil || len(keys) == 0 {
		return err
	}
	ids := bsondoc.HashKeys(keys)
	// The documents first, so readers miss instead of finding missing chunks.
	if _, err := b.coll.DeleteMany(ctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: ids}}}}); err != nil {
		return fmt.Errorf("mongodb delete %q (%d keys): %w", keys[0], len(keys), err)
	}
	if _, err := b.coll.DeleteMany(ctx, bson.D{{Key: "parent", Value: bson.D{{Key: "$in", Value: ids}}}}); err != nil {
		return fmt.Errorf("mongodb delete %q (%d keys): delete chunks: %w", keys[0], len(keys), err)
	}
	return nil
}

// Scan yields every stored key with its expiry and size, without reading
// values (they are projected out). Chunk documents are not yielded.
func (b *Backend) Scan(ctx context.Context) iter.Seq2[backends.Entry, error] {
	return func(yield func(backends.Entry, error) bool) {
		if err := b.life.Begin(ctx, "mongodb scan", ""); err != nil {
			yield(backends.Entry{}, err)
			return
		}
		err := bsondoc.Find(ctx, b.coll, bson.D{{Key: "key", Value: bson.D{{Key: "$exists", Value: true}}}},
			options.Find().SetProjection(bson.D{{Key: "key", Value: 1}, {Key: "expires", Value: 1}, {Key: "size", Value: 1}}), func(raw bson.Raw) error {
				d, err := decodeDocument(raw)
				if err != nil {
					return nil // not one of ours
				}
				if !yield(backends.Entry{Key: d.Key, Size: d.Size, Expires: d.Expires}, nil) {
					return bsondoc.ErrStop
				}
				return nil
			})
		if err != nil {
			yield(backends.Entry{}, fmt.Errorf("mongodb scan %s: %w", b.coll.Name(), err))
		}
	}
}

// Clear deletes every document of the collection (the indexes stay).
func (b *Backend) Clear(ctx context.Context) error {
	if err := b.life.Begin(ctx, "mongodb clear", ""); err != nil {
		return err
	}
	if _, err := b.coll.DeleteMany(ctx, bson.D{}); err != nil {
		return fmt.Errorf("mongodb clear %s: %w", b.coll.Name(), err)
	}
	return nil
}

// DeleteExpired deletes the values (and their chunks) whose expiry has
// passed and returns how many values it deleted. It is the purge for
// servers without TTL indexes (NativeTTL false); with a TTL index it only
// anticipates the server's own sweep, which runs about once a minute.
func (b *Backend) DeleteExpired(ctx context.Context) (int, error) {
	if err := b.life.Begin(ctx, "mongodb delete expired", b.coll.Name()); err != nil {
		return 0, err
	}
	past := bson.E{Key: "expires", Value: bson.D{{Key: "$lte", Value: primitive.NewDateTimeFromTime(time.Now())}}}
	res, err := b.coll.DeleteMany(ctx, bson.D{past, {Key: "key", Value: bson.D{{Key: "$exists", Value: true}}}})
	if err != nil {
		return 0, fmt.Errorf("mongodb delete expired %s: %w", b.coll.Name(), err)
	}
	// Chunks carry their value's expiry: those of the values just deleted,
	// and any a failed or superseded Set left behind.
	if _, err := b.coll.DeleteMany(ctx, bson.D{past, {Key: "parent", Value: bson.D{{Key: "$exists", Value: true}}}}); err != nil {
		return int(res.DeletedCount), fmt.Errorf("mongodb delete expired %s: chunks: %w", b.coll.Name(), err)
	}
	return int(res.DeletedCount), nil
}

// Sweep implements backends.Sweeper: it is DeleteExpired.
func (b *Backend) Sweep(ctx context.Context) (int, error) { return b.DeleteExpired(ctx) }

// Close marks the backend closed; later calls fail with backends.ErrClosed.
// It disconnects the client only when the backend opened it (from a DSN).
func (b *Backend) Close() error {
	if err := b.life.Close(); err != nil {
		return fmt.Errorf("mongodb close: %w", err)
	}
	return nil
}
