package gridfs

import (
	"context"
	"fmt"
	"iter"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/gridfs"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/backends/internal/bsondoc"
	"github.com/cachedhttp/cachedhttp/backends/internal/chunk"
	"github.com/cachedhttp/cachedhttp/backends/internal/mongodsn"
)

// Defaults of Options.
const (
	DefaultBucket    = "cachedhttp"
	DefaultChunkSize = 1 << 20
)

// MaxChunkSize is the largest Options.ChunkSize accepted: a chunk document
// must stay below MongoDB's 16 MiB document limit.
const MaxChunkSize = 15 << 20

// Options configure a Backend. The zero value is ready to use.
type Options struct {
	// Bucket is the GridFS bucket name: the collections are Bucket.files and
	// Bucket.chunks. Empty means DefaultBucket ("cachedhttp").
	Bucket string
	// ChunkSize is the size of the chunks new files are split into. Zero
	// means DefaultChunkSize (1 MiB); it must not exceed MaxChunkSize.
	ChunkSize int
	// SkipIndexes stops New from creating GridFS's indexes (filename and
	// uploadDate on files, files_id and n on chunks), for a user without
	// the createIndex privilege. The default, false, creates them.
	SkipIndexes bool
}

// Backend stores values as GridFS files. It is safe for concurrent use.
type Backend struct {
	bucket    *gridfs.Bucket
	files     *mongo.Collection
	chunks    *mongo.Collection
	name      string
	chunkSize int
	// life is closed by Close, which disconnects the client when the
	// backend was opened from a DSN.
	life mongodsn.Owner
}

var (
	_ backends.Backend = (*Backend)(nil)
	_ backends.Sweeper = (*Backend)(nil)
)

// New returns a Backend storing files in the GridFS bucket opts.Bucket of
// db, which belongs to the caller: Close does not disconnect its client.
// Unless opts.SkipIndexes is set, New creates the bucket's indexes, which
// is why it takes a context.
func New(ctx context.Context, db *mongo.Database, opts Options) (*Backend, error) {
	name := opts.Bucket
	if name == "" {
		name = DefaultBucket
	}
	if db == nil {
		return nil, fmt.Errorf("gridfs new %s: nil database", name)
	}
	cs, err := chunk.Size(opts.ChunkSize, DefaultChunkSize, MaxChunkSize)
	if err != nil {
		return nil, fmt.Errorf("gridfs new %s: %w", name, err)
	}
	bucket, err := gridfs.NewBucket(db, options.GridFSBucket().SetName(name).SetChunkSizeBytes(int32(cs)))
	if err != nil {
		return nil, fmt.Errorf("gridfs new %s: %w", name, err)
	}
	b := &Backend{
		bucket:    bucket,
		files:     bucket.GetFilesCollection(),
		chunks:    bucket.GetChunksCollection(),
		name:      name,
		chunkSize: cs,
	}
	if !opts.SkipIndexes {
		if err := b.ensureIndexes(ctx); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// ensureIndexes creates the indexes the GridFS specification asks for.
func (b *Backend) ensureIndexes(ctx context.Context) error {
	if _, err := b.files.Indexes().CreateOne(ctx, mongo.IndexModel{
		Keys: bson.D{{Key: "filename", Value: 1}, {Key: "uploadDate", Value: 1}},
	}); err != nil {
		return fmt.Errorf("gridfs new %s: create files index: %w", b.name, err)
	}
	if _, err := b.chunks.Indexes().CreateOne(ctx, mongo.IndexModel{
		Keys:    bson.D{{Key: "files_id", Value: 1}, {Key: "n", Value: 1}},
		Options: options.Index().SetUnique(true),
	}); err != nil {
		return fmt.Errorf("gridfs new %s: create chunks index: %w", b.name, err)
	}
	return nil
}

// Bucket returns the driver's view of the GridFS bucket, for tools that
// read the files (the layout is standard GridFS).
func (b *Backend) Bucket() *gridfs.Bucket { return b.bucket }

// NativeTTL reports whether the server deletes expired values by itself:
// always false for GridFS (see DeleteExpired).
func (b *Backend) NativeTTL() bool { return false }

// newestFirst orders revisions of a filename, newest first.
var newestFirst = bson.D{{Key: "uploadDate", Value: -1}, {Key: "_id", Value: -1}}

// Get returns the value stored under key, or an error matching
// backends.ErrNotFound when there is none, it has expired, or a chunk is
// missing (a concurrent overwrite deleted the revision being read).
func (b *Backend) Get(ctx context.Context, key string) ([]byte, error) {
	if err := b.life.Begin(ctx, "gridfs get", key); err != nil {
		return nil, err
	}
	raw, err := bsondoc.FindOne(ctx, b.files, bson.D{{Key: "filename", Value: bsondoc.HashKey(key)}},
		options.FindOne().SetSort(newestFirst))
	if err != nil {
		return nil, fmt.Errorf("gridfs get %q: %w", key, err)
	}
	f, err := decodeFile(raw)
	if err != nil {
		return nil, fmt.Errorf("gridfs get %q: %w: %w", key, backends.ErrNotFound, err)
	}
	if f.Key != key || f.expired(time.Now()) {
		return nil, fmt.Errorf("gridfs get %q: %w", key, backends.ErrNotFound)
	}
	if f.Length == 0 {
		return []byte{}, nil
	}
	a := newAssembler(f)
	err = bsondoc.Find(ctx, b.chunks, bson.D{{Key: "files_id", Value: f.ID}},
		options.Find().SetSort(bson.D{{Key: "n", Value: 1}}).SetProjection(bson.D{{Key: "n", Value: 1}, {Key: "data", Value: 1}}), func(raw bson.Raw) error {
			if err := a.add(raw); err != nil {
				return fmt.Errorf("%w: %w", backends.ErrNotFound, err)
			}
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("gridfs get %q: chunks: %w", key, err)
	}
	v, err := a.value()
	if err != nil {
		err = fmt.Errorf("gridfs get %q: %w: %w", key, backends.ErrNotFound, err)
	}
	return v, err
}

// Set stores value under key as a new revision, by chunk.Write: its chunks
// first, then its files document, then it deletes the older revisions. A
// ttl of zero or less means it never expires.
func (b *Backend) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if err := b.life.Begin(ctx, "gridfs set", key); err != nil {
		return err
	}
	w := &write{b: b, filename: bsondoc.HashKey(key), size: int64(len(value))}
	w.meta = bson.D{{Key: "key", Value: primitive.Binary{Data: []byte(key)}}}
	if exp, ok := bsondoc.Expires(time.Now(), ttl); ok {
		w.meta = append(w.meta, exp)
	}
	if err := chunk.Write(ctx, w, primitive.NewObjectID(), chunk.Split(value, b.chunkSize)); err != nil {
		return fmt.Errorf("gridfs set %q: %w", key, err)
	}
	return nil
}

// deleteFiles deletes the files documents with the given ids, then their
// chunks (files first, so readers miss rather than find chunks missing).
func (b *Backend) deleteFiles(ctx context.Context, ids []primitive.ObjectID) error {
	if len(ids) == 0 {
		return nil
	}
	if _, err := b.files.DeleteMany(ctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: ids}}}}); err != nil {
		return err
	}
	if _, err := b.chunks.DeleteMany(ctx, bson.D{{Key: "files_id", Value: bson.D{{Key: "$in", Value: ids}}}}); err != nil {
		return err
	}
	return nil
}

// findIDs returns the _id of the files matching filter.
func (b *Backend) findIDs(ctx context.Context, filter bson.D) ([]primitive.ObjectID, error) {
	var ids []primitive.ObjectID
	err := bsondoc.Find(ctx, b.files, filter, options.Find().SetProjection(bson.D{{Key: "_id", Value: 1}}), func(raw bson.Raw) error {
		if id, ok := raw.Lookup("_id").ObjectIDOK(); ok {
			ids = append(ids, id)
		}
		return nil
	})
	return ids, err
}

// Delete removes every revision of the given keys. Missing keys are not an
// error.
func (b *Backend) Delete(ctx context.Context, keys ...string) error {
	if err := b.life.BeginMany(ctx, "gridfs delete", keys); err != nil || len(keys) == 0 {
		return err
	}
	ids, err := b.findIDs(ctx, bson.D{{Key: "filename", Value: bson.D{{Key: "$in", Value: bsondoc.HashKeys(keys)}}}})
	if err == nil {
		err = b.deleteFiles(ctx, ids)
	}
	if err != nil {
		return fmt.Errorf("gridfs delete %q (%d keys): %w", keys[0], len(keys), err)
	}
	return nil
}

// Scan yields every stored key with its expiry and size, reading only the
// files documents. A key being overwritten may briefly have two revisions;
// Scan yields it once.
func (b *Backend) Scan(ctx context.Context) iter.Seq2[backends.Entry, error] {
	return func(yield func(backends.Entry, error) bool) {
		if err := b.life.Begin(ctx, "gridfs scan", b.name); err != nil {
			yield(backends.Entry{}, err)
			return
		}
		last := ""
		err := bsondoc.Find(ctx, b.files, bson.D{},
			options.Find().
				SetSort(bson.D{{Key: "filename", Value: 1}, {Key: "uploadDate", Value: -1}, {Key: "_id", Value: -1}}).
				SetProjection(bson.D{{Key: "filename", Value: 1}, {Key: "length", Value: 1}, {Key: "metadata", Value: 1}}), func(raw bson.Raw) error {
				f, err := decodeFile(raw)
				if err != nil || f.Filename == last {
					return nil // not ours, or an older revision
				}
				last = f.Filename
				if !yield(backends.Entry{Key: f.Key, Expires: f.Expires, Size: f.Length}, nil) {
					return bsondoc.ErrStop
				}
				return nil
			})
		if err != nil {
			yield(backends.Entry{}, fmt.Errorf("gridfs scan %s: %w", b.name, err))
		}
	}
}

// Clear deletes every file of the bucket (the collections and their
// indexes stay).
func (b *Backend) Clear(ctx context.Context) error {
	if err := b.life.Begin(ctx, "gridfs clear", b.name); err != nil {
		return err
	}
	if _, err := b.files.DeleteMany(ctx, bson.D{}); err != nil {
		return fmt.Errorf("gridfs clear %s: %w", b.name, err)
	}
	if _, err := b.chunks.DeleteMany(ctx, bson.D{}); err != nil {
		return fmt.Errorf("gridfs clear %s: chunks: %w", b.name, err)
	}
	return nil
}

// DeleteExpired deletes the files whose expiry has passed, with their
// chunks, and returns how many files it deleted. GridFS has no TTL index,
// so call it from time to time.
func (b *Backend) DeleteExpired(ctx context.Context) (int, error) {
	if err := b.life.Begin(ctx, "gridfs delete expired", b.name); err != nil {
		return 0, err
	}
	ids, err := b.findIDs(ctx, bson.D{{Key: "metadata.expires", Value: bson.D{{Key: "$lte", Value: primitive.NewDateTimeFromTime(time.Now())}}}})
	if err == nil {
		err = b.deleteFiles(ctx, ids)
	}
	if err != nil {
		return 0, fmt.Errorf("gridfs delete expired %s: %w", b.name, err)
	}
	return len(ids), nil
}

// Sweep implements backends.Sweeper: it is DeleteExpired.
func (b *Backend) Sweep(ctx context.Context) (int, error) { return b.DeleteExpired(ctx) }

// Close marks the backend closed; later calls fail with backends.ErrClosed.
// It disconnects the client only when the backend opened it (from a DSN).
func (b *Backend) Close() error {
	if err := b.life.Close(); err != nil {
		return fmt.Errorf("gridfs close %s: %w", b.name, err)
	}
	return nil
}
