package mongodb

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/backends/internal/batch"
	"github.com/cachedhttp/cachedhttp/backends/internal/chunk"
	"github.com/cachedhttp/cachedhttp/backends/internal/lifecycle"
)

// SetMany stores items that fit in one document with one bulk write of
// upserts (three round trips for the batch: find the chunked values they
// replace, write, delete those chunks), and chunked ones with Set, one by
// one. Of several items with one key the last is stored. The errors of the
// items that failed are returned joined; the others are stored.
func (b *Backend) SetMany(ctx context.Context, items []backends.Item) error {
	keys := make([]string, len(items))
	for i, it := range items {
		keys[i] = it.Key
	}
	if err := b.life.BeginMany(ctx, "mongodb set many", keys); err != nil || len(items) == 0 {
		return err
	}
	var small, large []backends.Item
	for _, it := range batch.Last(items) {
		if len(it.Value) <= b.chunkSize {
			small = append(small, it)
		} else {
			large = append(large, it)
		}
	}
	var errs []error
	if len(small) > 0 {
		errs = append(errs, b.setInline(ctx, small))
	}
	for _, it := range large {
		errs = append(errs, b.Set(ctx, it.Key, it.Value, it.TTL))
	}
	return errors.Join(errs...)
}

// setInline upserts the documents of items, whose values fit in them, in
// one unordered bulk write, then deletes the chunks of the values they
// replaced. An item whose upsert failed on a duplicate key (two concurrent
// upserts of one _id) is stored again with Set.
func (b *Backend) setInline(ctx context.Context, items []backends.Item) error {
	now := time.Now()
	ids := make([]string, len(items))
	models := make([]mongo.WriteModel, len(items))
	for i, it := range items {
		w := b.newWrite(it.Key, it.Value, it.TTL, now)
		ids[i] = w.id
		doc := append(w.doc, bson.E{Key: "value", Value: primitive.Binary{Data: it.Value}})
		models[i] = mongo.NewReplaceOneModel().SetFilter(bson.D{{Key: "_id", Value: w.id}}).SetReplacement(doc).SetUpsert(true)
	}
	replaced, err := b.chunkedAmong(ctx, ids)
	if err != nil {
		return fmt.Errorf("mongodb set many %s: %w", describe(items), err)
	}
	var errs []error
	_, err = b.coll.BulkWrite(ctx, models, options.BulkWrite().SetOrdered(false))
	var bwe mongo.BulkWriteException
	switch {
	case errors.As(err, &bwe) && bwe.WriteConcernError == nil:
		for _, we := range bwe.WriteErrors {
			it := items[we.Index]
			if mongo.IsDuplicateKeyError(we) {
				errs = append(errs, b.Set(ctx, it.Key, it.Value, it.TTL))
				continue
			}
			errs = append(errs, fmt.Errorf("mongodb set %q: %w", it.Key, we))
		}
	case err != nil:
		return fmt.Errorf("mongodb set many %s: %w", describe(items), err)
	}
	for id, old := range replaced {
		w := &write{b: b, id: id}
		if err := w.DeleteChunks(ctx, []chunk.Ref{old}); err != nil {
			// Left behind, they go with Clear or, when they expire, with
			// DeleteExpired: no reader follows them any more.
			break
		}
	}
	return errors.Join(errs...)
}

// chunkedAmong returns the chunks named by those of the documents ids
// whose value is chunked.
func (b *Backend) chunkedAmong(ctx context.Context, ids []string) (map[string]chunk.Ref, error) {
	cur, err := b.coll.Find(ctx, bson.D{
		{Key: "_id", Value: bson.D{{Key: "$in", Value: ids}}},
		{Key: "chunks", Value: bson.D{{Key: "$exists", Value: true}}},
	}, options.Find().SetProjection(bson.D{{Key: "gen", Value: 1}, {Key: "chunks", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("find chunked values: %w", err)
	}
	defer cur.Close(ctx)
	out := map[string]chunk.Ref{}
	for cur.Next(ctx) {
		id, _ := cur.Current.Lookup("_id").StringValueOK()
		if ref, err := decodeReplaced(cur.Current); err == nil && ref.Chunks > 0 && id != "" {
			out[id] = ref
		}
	}
	if err := cur.Err(); err != nil {
		return nil, fmt.Errorf("find chunked values: %w", err)
	}
	return out, nil
}

func describe(items []backends.Item) string {
	keys := make([]string, len(items))
	for i, it := range items {
		keys[i] = it.Key
	}
	return lifecycle.DescribeKeys(keys)
}

var _ backends.Batcher = (*Backend)(nil)
