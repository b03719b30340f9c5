package mongodb

import (
	"context"
	"errors"
	"fmt"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/backends/internal/bsondoc"
	"github.com/cachedhttp/cachedhttp/backends/internal/chunk"
)

// write is one Set's view of the collection, for chunk.Put: the key's
// document (its _id is id) and chunk documents {_id: "<id>/<gen>/<n>",
// parent: id, value, expires}.
type write struct {
	b       *Backend
	id      string
	value   []byte
	doc     bson.D // the key's document but for the value or its chunks
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

// PutHead replaces the key's document, holding the value or naming gen, and
// returns the chunks the replaced one named.
func (w *write) PutHead(ctx context.Context, gen chunk.Ref) ([]chunk.Ref, error) {
	doc := w.doc
	if gen.Chunks == 0 {
		doc = append(doc, bson.E{Key: "value", Value: primitive.Binary{Data: w.value}})
	} else {
		doc = append(doc, bson.E{Key: "gen", Value: gen.Gen}, bson.E{Key: "chunks", Value: int32(gen.Chunks)})
	}
	old, err := w.b.replace(ctx, w.id, doc)
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
	cur, err := bsondoc.FindOne(ctx, w.b.coll, bson.D{{Key: "_id", Value: w.id}}, options.FindOne().SetProjection(bson.D{{Key: "gen", Value: 1}}))
	superseded := errors.Is(err, backends.ErrNotFound)
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
