package gridfs

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/cachedhttp/cachedhttp/backends/internal/bsondoc"
)

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
	var doomed []primitive.ObjectID
	newerExists := false
	err := bsondoc.Find(ctx, w.b.files, bson.D{{Key: "filename", Value: w.filename}},
		options.Find().SetProjection(bson.D{{Key: "_id", Value: 1}, {Key: "uploadDate", Value: 1}}), func(raw bson.Raw) error {
			var r struct {
				ID       primitive.ObjectID `bson:"_id"`
				Uploaded primitive.DateTime `bson:"uploadDate"`
			}
			if err := bson.Unmarshal(raw, &r); err != nil {
				return nil // not a file this package wrote
			}
			switch rev := (revision{r.Uploaded, r.ID}); {
			case rev.id == mine.id:
			case rev.before(mine):
				doomed = append(doomed, rev.id)
			default:
				newerExists = true
			}
			return nil
		})
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
