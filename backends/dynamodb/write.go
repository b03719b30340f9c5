package dynamodb

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"golang.org/x/sync/errgroup"

	"github.com/cachedhttp/cachedhttp/backends/internal/chunk"
	"github.com/cachedhttp/cachedhttp/backends/internal/expiry"
)

// write is one Set's view of the table, for chunk.Put: the value's item
// (partition key pk) and chunk items (pk "<pk>#<gen>#<i>", v, ttl).
type write struct {
	b     *Backend
	pk    string
	value []byte
	item  map[string]types.AttributeValue // but for the value or its chunks
	ttl   *types.AttributeValueMemberN    // nil when the value never expires
}

// newWrite returns the write of value under key, stored at now with ttl,
// and whether the value fits inline in its item.
func (b *Backend) newWrite(key string, value []byte, now time.Time, ttl time.Duration) (w *write, inline bool) {
	w = &write{b: b, pk: hashKey(key), value: value}
	w.item = map[string]types.AttributeValue{
		attrPK:   &types.AttributeValueMemberS{Value: w.pk},
		attrKey:  &types.AttributeValueMemberB{Value: []byte(key)},
		attrSize: num(int64(len(value))),
	}
	if ms, secs, ok := expiry.UnixMilli(now, ttl); ok {
		w.item[attrExpires] = num(ms)
		w.item[attrTTL] = num(secs)
		w.ttl = num(secs)
	}
	inline = len(value)+len(key) <= b.chunkSize && len(value)+len(key)+inlineOverhead <= itemLimit
	return w, inline
}

// PutChunks writes the chunk items of gen, 25 to a BatchWriteItem.
func (w *write) PutChunks(ctx context.Context, gen chunk.Ref, parts [][]byte) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(w.b.opts.Concurrency)
	for start := 0; start < len(parts); start += batchWriteMax {
		batch := parts[start:min(start+batchWriteMax, len(parts))]
		reqs := make([]types.WriteRequest, len(batch))
		for j, p := range batch {
			c := map[string]types.AttributeValue{
				attrPK:    &types.AttributeValueMemberS{Value: chunkPK(w.pk, gen.Gen, start+j)},
				attrValue: &types.AttributeValueMemberB{Value: p},
			}
			if w.ttl != nil {
				c[attrTTL] = w.ttl
			}
			reqs[j] = types.WriteRequest{PutRequest: &types.PutRequest{Item: c}}
		}
		g.Go(func() error { return w.b.batchWrite(gctx, reqs) })
	}
	return g.Wait()
}

// PutHead writes the value's item, holding the value or naming gen, and
// returns the chunks the item it replaced named.
func (w *write) PutHead(ctx context.Context, gen chunk.Ref) ([]chunk.Ref, error) {
	w.name(gen)
	old, err := w.b.put(ctx, w.item)
	if err != nil || old.Chunks == 0 {
		return nil, err
	}
	return []chunk.Ref{old}, nil
}

// name completes the value's item: it holds the value (the zero Ref) or
// names the chunks of gen.
func (w *write) name(gen chunk.Ref) {
	if gen.Chunks == 0 {
		w.item[attrValue] = &types.AttributeValueMemberB{Value: w.value}
		return
	}
	w.item[attrGen] = &types.AttributeValueMemberS{Value: gen.Gen}
	w.item[attrChunks] = num(int64(gen.Chunks))
}

// DeleteChunks deletes the chunk items of gens.
func (w *write) DeleteChunks(ctx context.Context, gens []chunk.Ref) error {
	var pks []string
	for _, g := range gens {
		pks = append(pks, g.Names(func(gen string, i int) string { return chunkPK(w.pk, gen, i) })...)
	}
	return w.b.batchDelete(ctx, pks)
}

// put writes a value's item and returns the chunk reference of the item it
// replaced. The common case, replacing nothing or an inline value, is one
// conditional PutItem that returns nothing (ALL_OLD would send the old
// value back); only when the old item is chunked does a second PutItem
// return it, atomically, to say which chunks to delete.
func (b *Backend) put(ctx context.Context, it map[string]types.AttributeValue) (chunk.Ref, error) {
	_, err := b.client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                aws.String(b.table),
		Item:                     it,
		ConditionExpression:      aws.String("attribute_not_exists(#g)"),
		ExpressionAttributeNames: map[string]string{"#g": attrGen},
	})
	var failed *types.ConditionalCheckFailedException
	if !errors.As(err, &failed) {
		return chunk.Ref{}, err
	}
	out, err := b.client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:    aws.String(b.table),
		Item:         it,
		ReturnValues: types.ReturnValueAllOld,
	})
	if err != nil {
		return chunk.Ref{}, err
	}
	ref, err := chunkRef(out.Attributes)
	if err != nil {
		return chunk.Ref{}, nil // not ours to clean up
	}
	return ref, nil
}
