package dynamodb

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"golang.org/x/sync/errgroup"

	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/backends/internal/batch"
	"github.com/cachedhttp/cachedhttp/backends/internal/chunk"
	"github.com/cachedhttp/cachedhttp/backends/internal/lifecycle"
)

var _ backends.Batcher = (*Backend)(nil)

// SetMany stores the items whose values fit in their own item with
// BatchWriteItem, 25 to a request (Options.Concurrency requests at a time),
// retrying unprocessed items; before that one BatchGetItem per 100 keys
// finds the chunked values they replace, whose chunks are deleted after.
// Chunked values are stored with Set, one by one. Of several items with one
// key the last is stored (BatchWriteItem refuses a key twice). The errors
// of the items that failed are returned joined.
//
// BatchWriteItem has no condition: a chunked value a concurrent Set writes
// between the read and the write may lose its item to this batch, leaving
// its chunks behind (invisible; they expire with the value's TTL or go with
// Clear).
func (b *Backend) SetMany(ctx context.Context, items []backends.Item) error {
	keys := make([]string, len(items))
	for i, it := range items {
		keys[i] = it.Key
	}
	if err := b.state.BeginMany(ctx, "dynamodb set many", keys); err != nil || len(items) == 0 {
		return err
	}
	now := time.Now()
	var inline []*write
	var large []backends.Item
	for _, it := range batch.Last(items) {
		w, fits := b.newWrite(it.Key, it.Value, now, it.TTL)
		if !fits {
			large = append(large, it)
			continue
		}
		w.name(chunk.Ref{})
		inline = append(inline, w)
	}
	var errs []error
	if len(inline) > 0 {
		if err := b.putInline(ctx, inline); err != nil {
			errs = append(errs, fmt.Errorf("dynamodb set many %s: %w", lifecycle.DescribeKeys(keys), err))
		}
	}
	for _, it := range large {
		errs = append(errs, b.Set(ctx, it.Key, it.Value, it.TTL))
	}
	return errors.Join(errs...)
}

// putInline writes the items of ws, which hold their values, and deletes
// the chunks of the chunked values they replace.
func (b *Backend) putInline(ctx context.Context, ws []*write) error {
	pks := make([]string, len(ws))
	for i, w := range ws {
		pks[i] = w.pk
	}
	var replaced []string
	for start := 0; start < len(pks); start += batchGetMax {
		found, err := b.chunkRefs(ctx, pks[start:min(start+batchGetMax, len(pks))])
		if err != nil {
			return err
		}
		replaced = append(replaced, found...)
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(b.opts.Concurrency)
	for start := 0; start < len(ws); start += batchWriteMax {
		group := ws[start:min(start+batchWriteMax, len(ws))]
		reqs := make([]types.WriteRequest, len(group))
		for i, w := range group {
			reqs[i] = types.WriteRequest{PutRequest: &types.PutRequest{Item: w.item}}
		}
		g.Go(func() error { return b.batchWrite(gctx, reqs) })
	}
	if err := g.Wait(); err != nil {
		return err
	}
	// Best effort: left behind, no reader follows these chunks any more.
	_ = b.batchDelete(ctx, replaced)
	return nil
}
