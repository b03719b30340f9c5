package bsondoc

import (
	"context"
	"errors"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/cachedhttp/cachedhttp/backends"
)

// FindOne returns the first document of coll matching filter, or an error
// matching backends.ErrNotFound when there is none.
func FindOne(ctx context.Context, coll *mongo.Collection, filter bson.D, opts ...*options.FindOneOptions) (bson.Raw, error) {
	raw, err := coll.FindOne(ctx, filter, opts...).Raw()
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, backends.ErrNotFound
	}
	return raw, err
}

// Find calls fn with every document of coll matching filter, in the
// cursor's order, and closes the cursor. It stops at the first error of fn
// and returns it unchanged (nil for ErrStop); otherwise it returns the query's
// or the cursor's error.
func Find(ctx context.Context, coll *mongo.Collection, filter bson.D, opts *options.FindOptions, fn func(bson.Raw) error) error {
	cur, err := coll.Find(ctx, filter, opts)
	if err != nil {
		return err
	}
	defer cur.Close(context.WithoutCancel(ctx))
	for cur.Next(ctx) {
		if err := fn(cur.Current); errors.Is(err, ErrStop) {
			return nil
		} else if err != nil {
			return err
		}
	}
	return cur.Err()
}
