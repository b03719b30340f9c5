package gridfs

import (
	"bytes"
	"context"
	"errors"
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
	"github.com/cachedhttp/cachedhttp/backends/internal/expiry"
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
	if db == nil {
		return nil, errors.New("gridfs new: nil database")
	}
	name := opts.Bucket
	if name == "" {
		name = DefaultBucket
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
	raw, err := b.files.FindOne(ctx, bson.D{{Key: "filename", Value: bsondoc.HashKey(key)}},
		options.FindOne().SetSort(newestFirst)).Raw()
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, fmt.Errorf("gridfs get %q: %w", key, backends.ErrNotFound)
	}
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
	cur, err := b.chunks.Find(ctx, bson.D{{Key: "files_id", Value: f.ID}},
		options.Find().SetSort(bson.D{{Key: "n", Value: 1}}).SetProjection(bson.D{{Key: "n", Value: 1}, {Key: "data", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("gridfs get %q: find chunks: %w", key, err)
	}
	defer cur.Close(context.WithoutCancel(ctx))
	a := newAssembler(f)
	for cur.Next(ctx) {
		if err := a.add(cur.Current); err != nil {
			return nil, fmt.Errorf("gridfs get %q: %w: %w", key, backends.ErrNotFound, err)
		}
	}
	if err := cur.Err(); err != nil {
		return nil, fmt.Errorf("gridfs get %q: read chunks: %w", key, err)
	}
	v, err := a.value()
	if err != nil {
		return nil, fmt.Errorf("gridfs get %q: %w: %w", key, backends.ErrNotFound, err)
	}
	return v, nil
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
	if exp, ok := expiry.At(time.Now(), ttl); ok {
		w.meta = append(w.meta, bson.E{Key: "expires", Value: primitive.NewDateTimeFromTime(exp)})
	}
	if err := chunk.Write(ctx, w, primitive.NewObjectID(), chunk.Split(value, b.chunkSize)); err != nil {
		return fmt.Errorf("gridfs set %q: %w", key, err)
	}
	return nil
}

// write is one Set's revision, for chunk.Write: a generation is a files
// document's _id.
type write struct {
	b        *Backend
	filename string
	size     int64
	meta     bson.D
	uploaded primitive.DateTime
}

// PutChunks inserts the chunks documents of file id.
func (w *write) PutChunks(ctx context.Context, id primitive.ObjectID, parts [][]byte) error {
	docs := make([]any, len(parts))
	for i, p := range parts {
		docs[i] = bson.D{
			{Key: "_id", Value: primitive.NewObjectID()},
			{Key: "files_id", Value: id},
			{Key: "n", Value: int32(i)},
			{Key: "data", Value: primitive.Binary{Data: p}},
		}
	}
	_, err := w.b.chunks.InsertMany(ctx, docs)
	return err
}

// PutHead inserts the files document of id: a new revision, which replaces
// nothing (Superseded finds the revisions it made old).
func (w *write) PutHead(ctx context.Context, id primitive.ObjectID) ([]primitive.ObjectID, error) {
	w.uploaded = primitive.NewDateTimeFromTime(time.Now())
	_, err := w.b.files.InsertOne(ctx, bson.D{
		{Key: "_id", Value: id},
		{Key: "length", Value: w.size},
		{Key: "chunkSize", Value: int32(w.b.chunkSize)},
		{Key: "uploadDate", Value: w.uploaded},
		{Key: "filename", Value: w.filename},
		{Key: "metadata", Value: w.meta},
	})
	if err != nil {
		return nil, fmt.Errorf("insert files document: %w", err)
	}
	return nil, nil
}

// Superseded returns the revisions of the filename older than id's, and id
// when a newer one exists. The newest revision is never returned, and
// every other one is returned to its own writer or to a newer one's.
func (w *write) Superseded(ctx context.Context, id primitive.ObjectID) ([]primitive.ObjectID, error) {
	mine := revision{w.uploaded, id}
	cur, err := w.b.files.Find(ctx, bson.D{{Key: "filename", Value: w.filename}},
		options.Find().SetProjection(bson.D{{Key: "_id", Value: 1}, {Key: "uploadDate", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("find revisions: %w", err)
	}
	var doomed []primitive.ObjectID
	newerExists := false
	for cur.Next(ctx) {
		var r struct {
			ID       primitive.ObjectID `bson:"_id"`
			Uploaded primitive.DateTime `bson:"uploadDate"`
		}
		if err := cur.Decode(&r); err != nil {
			continue // not a file this package wrote
		}
		rev := revision{r.Uploaded, r.ID}
		switch {
		case rev.id == mine.id:
		case rev.before(mine):
			doomed = append(doomed, rev.id)
		default:
			newerExists = true
		}
	}
	err = cur.Err()
	_ = cur.Close(context.WithoutCancel(ctx))
	if err != nil {
		return nil, fmt.Errorf("find revisions: %w", err)
	}
	if newerExists {
		doomed = append(doomed, mine.id)
	}
	return doomed, nil
}

// DeleteChunks deletes the files documents with the given ids and their
// chunks.
func (w *write) DeleteChunks(ctx context.Context, ids []primitive.ObjectID) error {
	return w.b.deleteFiles(ctx, ids)
}

// revision identifies one revision of a filename in the order every reader
// and writer uses.
type revision struct {
	uploaded primitive.DateTime
	id       primitive.ObjectID
}

// before reports whether r is older than o.
func (r revision) before(o revision) bool {
	if r.uploaded != o.uploaded {
		return r.uploaded < o.uploaded
	}
	return bytes.Compare(r.id[:], o.id[:]) < 0
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
	cur, err := b.files.Find(ctx, filter, options.Find().SetProjection(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		return nil, err
	}
	defer cur.Close(context.WithoutCancel(ctx))
	var ids []primitive.ObjectID
	for cur.Next(ctx) {
		if id, ok := cur.Current.Lookup("_id").ObjectIDOK(); ok {
			ids = append(ids, id)
		}
	}
	return ids, cur.Err()
}

// Delete removes every revision of the given keys. Missing keys are not an
// error.
func (b *Backend) Delete(ctx context.Context, keys ...string) error {
	if err := b.life.BeginMany(ctx, "gridfs delete", keys); err != nil || len(keys) == 0 {
		return err
	}
	names := make([]string, len(keys))
	for i, k := range keys {
		names[i] = bsondoc.HashKey(k)
	}
	ids, err := b.findIDs(ctx, bson.D{{Key: "filename", Value: bson.D{{Key: "$in", Value: names}}}})
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
		cur, err := b.files.Find(ctx, bson.D{},
			options.Find().
				SetSort(bson.D{{Key: "filename", Value: 1}, {Key: "uploadDate", Value: -1}, {Key: "_id", Value: -1}}).
				SetProjection(bson.D{{Key: "filename", Value: 1}, {Key: "length", Value: 1}, {Key: "metadata", Value: 1}}))
		if err != nil {
			yield(backends.Entry{}, fmt.Errorf("gridfs scan %s: %w", b.name, err))
			return
		}
		defer cur.Close(context.WithoutCancel(ctx))
		last := ""
		for cur.Next(ctx) {
			f, err := decodeFile(cur.Current)
			if err != nil || f.Filename == last {
				continue // not ours, or an older revision
			}
			last = f.Filename
			if !yield(backends.Entry{Key: f.Key, Expires: f.Expires, Size: f.Length}, nil) {
				return
			}
		}
		if err := cur.Err(); err != nil {
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
