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
	"github.com/cachedhttp/cachedhttp/backends/internal/expiry"
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
	raw, err := b.coll.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Raw()
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, fmt.Errorf("mongodb get %q: %w", key, backends.ErrNotFound)
	}
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
	cur, err := b.coll.Find(ctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: ids}}}},
		options.Find().SetProjection(bson.D{{Key: "value", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("mongodb get %q: find chunks: %w", key, err)
	}
	defer cur.Close(context.WithoutCancel(ctx))
	parts := make(map[string][]byte, len(ids))
	for cur.Next(ctx) {
		c, err := decodeChunk(cur.Current)
		if err != nil {
			return nil, fmt.Errorf("mongodb get %q: %w: %w", key, backends.ErrNotFound, err)
		}
		parts[c.ID] = c.Value
	}
	if err := cur.Err(); err != nil {
		return nil, fmt.Errorf("mongodb get %q: read chunks: %w", key, err)
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
// Values larger than the chunk size are written by chunk.Write: chunks
// first, then the key's document; the chunks of the value it replaces are
// deleted last.
func (b *Backend) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if err := b.life.Begin(ctx, "mongodb set", key); err != nil {
		return err
	}
	w := &write{b: b, id: bsondoc.HashKey(key)}
	w.doc = bson.D{
		{Key: "_id", Value: w.id},
		{Key: "key", Value: primitive.Binary{Data: []byte(key)}},
	}
	if exp, ok := expiry.At(time.Now(), ttl); ok {
		w.expires = bson.E{Key: "expires", Value: primitive.NewDateTimeFromTime(exp)}
		w.doc = append(w.doc, w.expires)
	}
	w.doc = append(w.doc, bson.E{Key: "size", Value: int64(len(value))})
	var gen chunk.Ref
	var parts [][]byte
	if len(value) <= b.chunkSize {
		w.doc = append(w.doc, bson.E{Key: "value", Value: primitive.Binary{Data: value}})
	} else {
		parts = chunk.Split(value, b.chunkSize)
		gen = chunk.Ref{Gen: chunk.NewGeneration(), Chunks: len(parts)}
		w.doc = append(w.doc, bson.E{Key: "gen", Value: gen.Gen}, bson.E{Key: "chunks", Value: int32(gen.Chunks)})
	}
	if err := chunk.Write(ctx, w, gen, parts); err != nil {
		return fmt.Errorf("mongodb set %q: %w", key, err)
	}
	return nil
}

// write is one Set's view of the collection, for chunk.Write: the key's
// document (its _id is id) and chunk documents {_id: "<id>/<gen>/<n>",
// parent: id, value, expires}.
type write struct {
	b       *Backend
	id      string
	doc     bson.D
	expires bson.E // Key "" when the value never expires
}

// chunkID returns the _id of chunk n of the given generation of a document.
func chunkID(id, gen string, n int) string {
	return fmt.Sprintf("%s/%s/%d", id, gen, n)
}

// PutChunks inserts the chunk documents of gen, which carry the value's
// expiry so that DeleteExpired removes them in time if they are left behind.
func (w *write) PutChunks(ctx context.Context, gen chunk.Ref, parts [][]byte) error {
	docs := make([]any, len(parts))
	for i, p := range parts {
		c := bson.D{
			{Key: "_id", Value: chunkID(w.id, gen.Gen, i)},
			{Key: "parent", Value: w.id},
			{Key: "value", Value: primitive.Binary{Data: p}},
		}
		if w.expires.Key != "" {
			c = append(c, w.expires)
		}
		docs[i] = c
	}
	_, err := w.b.coll.InsertMany(ctx, docs)
	return err
}

// PutHead replaces the key's document and returns the chunks the replaced
// one named.
func (w *write) PutHead(ctx context.Context, _ chunk.Ref) ([]chunk.Ref, error) {
	old, err := w.b.replace(ctx, w.id, w.doc)
	if err != nil || old.Chunks == 0 {
		return nil, err
	}
	return []chunk.Ref{old}, nil
}

// Superseded returns gen when the key's document no longer names it. On a
// server whose findAndModify is not atomic (FerretDB 1.x reads, then
// writes), two concurrent Sets can both be told they replaced the same
// document, and the loser's chunks would stay behind. Deleting them is
// always safe: only this Set writes a document naming gen. A failed read is
// not an error (the chunks then wait for Delete, Clear or their expiry).
func (w *write) Superseded(ctx context.Context, gen chunk.Ref) ([]chunk.Ref, error) {
	if gen.Chunks == 0 {
		return nil, nil
	}
	cur, err := w.b.coll.FindOne(ctx, bson.D{{Key: "_id", Value: w.id}}, options.FindOne().SetProjection(bson.D{{Key: "gen", Value: 1}})).Raw()
	superseded := errors.Is(err, mongo.ErrNoDocuments)
	if err == nil {
		g, _ := cur.Lookup("gen").StringValueOK()
		superseded = g != gen.Gen
	}
	if superseded {
		return []chunk.Ref{gen}, nil
	}
	return nil, nil
}

// DeleteChunks deletes the chunk documents of gens.
func (w *write) DeleteChunks(ctx context.Context, gens []chunk.Ref) error {
	var ids []string
	for _, g := range gens {
		ids = append(ids, g.Names(func(gen string, i int) string { return chunkID(w.id, gen, i) })...)
	}
	_, err := w.b.coll.DeleteMany(ctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: ids}}}})
	return err
}

// replace upserts doc by id and returns the document it replaced (zero when
// there was none), retrying the duplicate key error two concurrent upserts
// of one _id can raise.
func (b *Backend) replace(ctx context.Context, id string, doc bson.D) (chunk.Ref, error) {
	var err error
	for attempt := 0; attempt < upsertRetries; attempt++ {
		opts := options.FindOneAndReplace().SetUpsert(true).SetReturnDocument(options.Before)
		project := !b.noProjection.Load()
		if project {
			opts.SetProjection(bson.D{{Key: "gen", Value: 1}, {Key: "chunks", Value: 1}})
		}
		var raw bson.Raw
		raw, err = b.coll.FindOneAndReplace(ctx, bson.D{{Key: "_id", Value: id}}, doc, opts).Raw()
		var ce mongo.CommandError
		if project && errors.As(err, &ce) && ce.Code == codeNotImplemented {
			// FerretDB 1.x: findAndModify without "fields". The old document
			// comes back whole; nothing was written, so try again.
			b.noProjection.Store(true)
			attempt--
			continue
		}
		switch {
		case err == nil:
			old, derr := decodeReplaced(raw)
			if derr != nil {
				return chunk.Ref{}, nil // a foreign document: nothing of ours to clean up
			}
			return old, nil
		case errors.Is(err, mongo.ErrNoDocuments):
			return chunk.Ref{}, nil
		case mongo.IsDuplicateKeyError(err):
			if ctx.Err() != nil {
				return chunk.Ref{}, ctx.Err()
			}
			continue
		default:
			return chunk.Ref{}, err
		}
	}
	return chunk.Ref{}, fmt.Errorf("upsert retried %d times: %w", upsertRetries, err)
}

// Delete removes the given keys and their chunks. Missing keys are not an
// error.
func (b *Backend) Delete(ctx context.Context, keys ...string) error {
	if err := b.life.BeginMany(ctx, "mongodb delete", keys); err != nil || len(keys) == 0 {
		return err
	}
	ids := make([]string, len(keys))
	for i, k := range keys {
		ids[i] = bsondoc.HashKey(k)
	}
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
		cur, err := b.coll.Find(ctx, bson.D{{Key: "key", Value: bson.D{{Key: "$exists", Value: true}}}},
			options.Find().SetProjection(bson.D{{Key: "key", Value: 1}, {Key: "expires", Value: 1}, {Key: "size", Value: 1}}))
		if err != nil {
			yield(backends.Entry{}, fmt.Errorf("mongodb scan %s: %w", b.coll.Name(), err))
			return
		}
		defer cur.Close(context.WithoutCancel(ctx))
		for cur.Next(ctx) {
			d, err := decodeDocument(cur.Current)
			if err != nil {
				continue // not one of ours
			}
			e := backends.Entry{Key: d.Key, Size: d.Size, Expires: d.Expires}
			if !yield(e, nil) {
				return
			}
		}
		if err := cur.Err(); err != nil {
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
