package dynamodb

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"iter"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	"golang.org/x/sync/errgroup"

	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/backends/internal/backoff"
	"github.com/cachedhttp/cachedhttp/backends/internal/chunk"
	"github.com/cachedhttp/cachedhttp/backends/internal/lifecycle"
)

// Chunk sizes, bounded by DynamoDB's 400 KB item limit.
const (
	// DefaultChunkSize is the chunk size used when Options.ChunkSize is
	// zero. It leaves room below the item limit for the other attributes.
	DefaultChunkSize = 384 << 10
	// MaxChunkSize is the largest Options.ChunkSize accepted.
	MaxChunkSize = 395 << 10
)

// Limits of DynamoDB and of its API.
const (
	// itemLimit is the item size limit (400 KB, counted in KiB).
	itemLimit = 400 << 10
	// inlineOverhead bounds what the attributes of a value's item other
	// than k and v take: names, the 64-byte pk, the numbers and the
	// generation.
	inlineOverhead = 256
	// batchWriteMax and batchGetMax are the batch sizes of BatchWriteItem
	// and BatchGetItem.
	batchWriteMax = 25
	batchGetMax   = 100
	// batchRetries bounds how often unprocessed batch items are retried.
	batchRetries = 12
)

// Attribute names.
const (
	attrPK      = "pk"
	attrKey     = "k"
	attrValue   = "v"
	attrSize    = "sz"
	attrExpires = "exp"
	attrTTL     = "ttl"
	attrGen     = "g"
	attrChunks  = "n"
)

// Options configure a Backend. The zero value is ready to use with an
// existing table.
type Options struct {
	// CreateTable makes New create the table when it does not exist
	// (on-demand billing, partition key pk of type S), wait until it is
	// active, and enable TTL on the attribute ttl. Default false: the table
	// must exist.
	CreateTable bool
	// EventuallyConsistent makes reads eventually consistent (half the read
	// cost) instead of strongly consistent: a Get right after a Set may then
	// miss. Default false.
	EventuallyConsistent bool
	// ChunkSize is the largest value stored inline (together with its key)
	// and the size of the chunks of larger values. Zero means
	// DefaultChunkSize (384 KiB); it must not exceed MaxChunkSize.
	ChunkSize int
	// WaitMinDelay is the first delay between polls while New waits for a
	// created table to become active (the delay grows up to 20 s). Zero
	// means one second. Tests against an emulator set it lower.
	WaitMinDelay time.Duration
	// WaitTimeout bounds that wait. Zero means five minutes.
	WaitTimeout time.Duration
	// Concurrency is how many batch requests one Set or Get of a chunked
	// value sends at a time. Zero means 4.
	Concurrency int
}

// Backend stores values in one DynamoDB table. It is safe for concurrent
// use.
type Backend struct {
	client     *dynamodb.Client
	table      string
	opts       Options
	chunkSize  int
	consistent bool
	nativeTTL  bool
	state      lifecycle.State
}

var _ backends.Backend = (*Backend)(nil)

// New returns a Backend storing its items in table through client, which
// belongs to the caller. With opts.CreateTable it creates the table and
// enables TTL when needed; otherwise it only asks whether TTL is enabled
// (see NativeTTL), ignoring a refusal.
func New(ctx context.Context, client *dynamodb.Client, table string, opts Options) (*Backend, error) {
	if client == nil {
		return nil, errors.New("dynamodb new: nil client")
	}
	if table == "" {
		return nil, errors.New("dynamodb new: empty table name")
	}
	cs, err := chunk.Size(opts.ChunkSize, DefaultChunkSize, MaxChunkSize)
	if err != nil {
		return nil, fmt.Errorf("dynamodb new %s: %w", table, err)
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 4
	}
	b := &Backend{client: client, table: table, opts: opts, chunkSize: cs, consistent: !opts.EventuallyConsistent}
	if opts.CreateTable {
		if err := b.createTable(ctx); err != nil {
			return nil, err
		}
		ttl, err := b.enableTTL(ctx)
		if err != nil {
			return nil, err
		}
		b.nativeTTL = ttl
	} else {
		b.nativeTTL, _ = b.ttlEnabled(ctx)
	}
	return b, nil
}

// createTable creates the table unless it exists, and waits until it is
// active.
func (b *Backend) createTable(ctx context.Context) error {
	_, err := b.client.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(b.table),
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String(attrPK), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String(attrPK), KeyType: types.KeyTypeHash}},
	})
	var inUse *types.ResourceInUseException
	if err != nil && !errors.As(err, &inUse) {
		return fmt.Errorf("dynamodb create table %s: %w", b.table, err)
	}
	minDelay := b.opts.WaitMinDelay
	if minDelay <= 0 {
		minDelay = time.Second
	}
	timeout := b.opts.WaitTimeout
	if timeout <= 0 {
		timeout = 5 * time.Minute
	}
	w := dynamodb.NewTableExistsWaiter(b.client, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay = minDelay
		o.MaxDelay = max(minDelay, 20*time.Second)
	})
	if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(b.table)}, timeout); err != nil {
		return fmt.Errorf("dynamodb create table %s: wait until active: %w", b.table, err)
	}
	return nil
}

// ttlEnabled reports whether the table's TTL is enabled on attribute ttl.
func (b *Backend) ttlEnabled(ctx context.Context) (bool, error) {
	out, err := b.client.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(b.table)})
	if err != nil {
		return false, err
	}
	d := out.TimeToLiveDescription
	if d == nil || aws.ToString(d.AttributeName) != attrTTL {
		return false, nil
	}
	return d.TimeToLiveStatus == types.TimeToLiveStatusEnabled || d.TimeToLiveStatus == types.TimeToLiveStatusEnabling, nil
}

// enableTTL enables TTL on attribute ttl unless it is enabled, and reports
// whether it is. A server without the TTL operations is not an error.
func (b *Backend) enableTTL(ctx context.Context) (bool, error) {
	on, err := b.ttlEnabled(ctx)
	if err == nil && on {
		return true, nil
	}
	if err != nil && !unknownOperation(err) {
		return false, fmt.Errorf("dynamodb describe time to live %s: %w", b.table, err)
	}
	_, err = b.client.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName:               aws.String(b.table),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String(attrTTL), Enabled: aws.Bool(true)},
	})
	switch {
	case err == nil:
		return true, nil
	case unknownOperation(err):
		return false, nil
	default:
		// TTL on another attribute, or a change too soon after the last one:
		// expiry is still enforced on read.
		var api smithy.APIError
		if errors.As(err, &api) && api.ErrorCode() == "ValidationException" {
			return false, nil
		}
		return false, fmt.Errorf("dynamodb update time to live %s: %w", b.table, err)
	}
}

// unknownOperation reports whether err says the server does not implement
// the operation (dynalite and TTL).
func unknownOperation(err error) bool {
	var api smithy.APIError
	return errors.As(err, &api) && api.ErrorCode() == "UnknownOperationException"
}

// NativeTTL reports whether the table deletes expired items by itself (TTL
// enabled on attribute ttl). Expired items are misses either way.
func (b *Backend) NativeTTL() bool { return b.nativeTTL }

// Table returns the table's name.
func (b *Backend) Table() string { return b.table }

// hashKey returns the partition key of key's item.
func hashKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// chunkPK returns the partition key of chunk i of a generation.
func chunkPK(pk, gen string, i int) string {
	return pk + "#" + gen + "#" + strconv.Itoa(i)
}

func pkOf(pk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{attrPK: &types.AttributeValueMemberS{Value: pk}}
}

func num(n int64) *types.AttributeValueMemberN {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}

// Get returns the value stored under key, or an error matching
// backends.ErrNotFound when there is none, it has expired, or one of its
// chunks is missing.
func (b *Backend) Get(ctx context.Context, key string) ([]byte, error) {
	if err := b.state.Begin(ctx, "dynamodb get", key); err != nil {
		return nil, err
	}
	pk := hashKey(key)
	out, err := b.client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(b.table),
		Key:            pkOf(pk),
		ConsistentRead: aws.Bool(b.consistent),
	})
	if err != nil {
		return nil, fmt.Errorf("dynamodb get %q: %w", key, err)
	}
	if out.Item == nil {
		return nil, backends.NotFound("dynamodb get", key)
	}
	it, err := decodeItem(out.Item)
	if err != nil {
		return nil, fmt.Errorf("dynamodb get %q: %w: %w", key, backends.ErrNotFound, err)
	}
	if it.Key != key || it.Expired(time.Now()) {
		return nil, backends.NotFound("dynamodb get", key)
	}
	if it.Chunks == 0 {
		return it.Value, nil
	}
	parts, err := b.getChunks(ctx, pk, it)
	if err != nil {
		return nil, fmt.Errorf("dynamodb get %q: %w", key, err)
	}
	v, err := it.Assemble(func(i int) ([]byte, bool) {
		p, ok := parts[chunkPK(pk, it.Gen, i)]
		return p, ok
	})
	if err != nil {
		return nil, fmt.Errorf("dynamodb get %q: %w: %w", key, backends.ErrNotFound, err)
	}
	return v, nil
}

// getChunks reads the chunks of it with BatchGetItem, by partition key.
func (b *Backend) getChunks(ctx context.Context, pk string, it item) (map[string][]byte, error) {
	keys := make([]map[string]types.AttributeValue, it.Chunks)
	for i := range keys {
		keys[i] = pkOf(chunkPK(pk, it.Gen, i))
	}
	results := make([]map[string][]byte, (len(keys)+batchGetMax-1)/batchGetMax)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(b.opts.Concurrency)
	for bi := range results {
		batch := keys[bi*batchGetMax : min((bi+1)*batchGetMax, len(keys))]
		g.Go(func() error {
			m, err := b.batchGet(gctx, batch)
			results[bi] = m
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	parts := make(map[string][]byte, it.Chunks)
	for _, m := range results {
		for k, v := range m {
			parts[k] = v
		}
	}
	return parts, nil
}

// batchGet reads the values of up to 100 chunk items, retrying unprocessed
// keys (BatchGetItem answers at most 16 MB at a time).
func (b *Backend) batchGet(ctx context.Context, keys []map[string]types.AttributeValue) (map[string][]byte, error) {
	got := make(map[string][]byte, len(keys))
	req := map[string]types.KeysAndAttributes{b.table: {
		Keys:                     keys,
		ConsistentRead:           aws.Bool(b.consistent),
		ProjectionExpression:     aws.String("#pk, #v"),
		ExpressionAttributeNames: map[string]string{"#pk": attrPK, "#v": attrValue},
	}}
	for attempt := 0; len(req) > 0; attempt++ {
		if attempt > 0 {
			if err := backoff.Sleep(ctx, retryDelay(attempt)); err != nil {
				return nil, err
			}
		}
		if attempt > batchRetries {
			return nil, fmt.Errorf("batch get: %d keys still unprocessed after %d attempts", len(req[b.table].Keys), attempt)
		}
		out, err := b.client.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req})
		if err != nil {
			return nil, fmt.Errorf("batch get: %w", err)
		}
		for _, raw := range out.Responses[b.table] {
			pk, v, err := decodeChunk(raw)
			if err != nil {
				continue // assemble reports the chunk missing
			}
			got[pk] = v
		}
		req = out.UnprocessedKeys
	}
	return got, nil
}

// retryDelay returns the pause before retry attempt (1, 2, ...) of
// unprocessed items: 10ms, doubling up to a second.
func retryDelay(attempt int) time.Duration {
	return backoff.Delay(10*time.Millisecond, time.Second, attempt-1)
}

// Set stores value under key. A ttl of zero or less means it never expires.
// A value larger than the chunk size is written by chunk.Put: chunk items
// first, then the value's item; the chunks of the value it replaces are
// deleted last.
func (b *Backend) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if err := b.state.Begin(ctx, "dynamodb set", key); err != nil {
		return err
	}
	w, inline := b.newWrite(key, value, time.Now(), ttl)
	if err := chunk.Put(ctx, w, value, b.chunkSize, inline); err != nil {
		return fmt.Errorf("dynamodb set %q: %w", key, err)
	}
	return nil
}

// batchDelete deletes the items with the given partition keys, 25 to a
// BatchWriteItem.
func (b *Backend) batchDelete(ctx context.Context, pks []string) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(b.opts.Concurrency)
	for start := 0; start < len(pks); start += batchWriteMax {
		group := pks[start:min(start+batchWriteMax, len(pks))]
		reqs := make([]types.WriteRequest, len(group))
		for i, pk := range group {
			reqs[i] = types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: pkOf(pk)}}
		}
		g.Go(func() error { return b.batchWrite(gctx, reqs) })
	}
	return g.Wait()
}

// batchWrite sends up to 25 write requests, retrying unprocessed items.
func (b *Backend) batchWrite(ctx context.Context, reqs []types.WriteRequest) error {
	req := map[string][]types.WriteRequest{b.table: reqs}
	for attempt := 0; len(req[b.table]) > 0; attempt++ {
		if attempt > 0 {
			if err := backoff.Sleep(ctx, retryDelay(attempt)); err != nil {
				return err
			}
		}
		if attempt > batchRetries {
			return fmt.Errorf("batch write: %d items still unprocessed after %d attempts", len(req[b.table]), attempt)
		}
		out, err := b.client.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: req})
		if err != nil {
			return fmt.Errorf("batch write: %w", err)
		}
		req = out.UnprocessedItems
	}
	return nil
}

// Delete removes the given keys and their chunks. Missing keys are not an
// error. It reads which keys have chunks (BatchGetItem), deletes the values'
// items, then their chunks (BatchWriteItem, 25 at a time).
func (b *Backend) Delete(ctx context.Context, keys ...string) error {
	if err := b.state.BeginMany(ctx, "dynamodb delete", keys); err != nil || len(keys) == 0 {
		return err
	}
	seen := make(map[string]bool, len(keys))
	var pks []string
	for _, k := range keys {
		pk := hashKey(k)
		if !seen[pk] {
			seen[pk] = true
			pks = append(pks, pk)
		}
	}
	var chunks []string
	for start := 0; start < len(pks); start += batchGetMax {
		group := pks[start:min(start+batchGetMax, len(pks))]
		found, err := b.chunkRefs(ctx, group)
		if err != nil {
			return fmt.Errorf("dynamodb delete %q (%d keys): %w", keys[0], len(keys), err)
		}
		chunks = append(chunks, found...)
	}
	// Values first, so readers miss instead of finding chunks missing.
	if err := b.batchDelete(ctx, pks); err != nil {
		return fmt.Errorf("dynamodb delete %q (%d keys): %w", keys[0], len(keys), err)
	}
	if err := b.batchDelete(ctx, chunks); err != nil {
		return fmt.Errorf("dynamodb delete %q (%d keys): delete chunks: %w", keys[0], len(keys), err)
	}
	return nil
}

// chunkRefs returns the partition keys of the chunks of the values stored
// under up to 100 partition keys.
func (b *Backend) chunkRefs(ctx context.Context, pks []string) ([]string, error) {
	keys := make([]map[string]types.AttributeValue, len(pks))
	for i, pk := range pks {
		keys[i] = pkOf(pk)
	}
	req := map[string]types.KeysAndAttributes{b.table: {
		Keys:                     keys,
		ConsistentRead:           aws.Bool(b.consistent),
		ProjectionExpression:     aws.String("#pk, #g, #n"),
		ExpressionAttributeNames: map[string]string{"#pk": attrPK, "#g": attrGen, "#n": attrChunks},
	}}
	var chunks []string
	for attempt := 0; len(req) > 0; attempt++ {
		if attempt > 0 {
			if err := backoff.Sleep(ctx, retryDelay(attempt)); err != nil {
				return nil, err
			}
		}
		if attempt > batchRetries {
			return nil, fmt.Errorf("batch get: keys still unprocessed after %d attempts", attempt)
		}
		out, err := b.client.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req})
		if err != nil {
			return nil, fmt.Errorf("batch get: %w", err)
		}
		for _, raw := range out.Responses[b.table] {
			pk, ref, err := decodeChunkRef(raw)
			if err == nil {
				chunks = append(chunks, ref.Names(func(gen string, i int) string { return chunkPK(pk, gen, i) })...)
			}
		}
		req = out.UnprocessedKeys
	}
	return chunks, nil
}

// Scan yields every stored key with its expiry and size, reading neither
// values (ProjectionExpression) nor reporting chunk items (they have no k).
// It pages through the table with Scan.
func (b *Backend) Scan(ctx context.Context) iter.Seq2[backends.Entry, error] {
	return func(yield func(backends.Entry, error) bool) {
		if err := b.state.Begin(ctx, "dynamodb scan", b.table); err != nil {
			yield(backends.Entry{}, err)
			return
		}
		p := dynamodb.NewScanPaginator(b.client, &dynamodb.ScanInput{
			TableName:                aws.String(b.table),
			ConsistentRead:           aws.Bool(b.consistent),
			FilterExpression:         aws.String("attribute_exists(#k)"),
			ProjectionExpression:     aws.String("#k, #e, #s"),
			ExpressionAttributeNames: map[string]string{"#k": attrKey, "#e": attrExpires, "#s": attrSize},
		})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				yield(backends.Entry{}, fmt.Errorf("dynamodb scan %s: %w", b.table, err))
				return
			}
			for _, raw := range page.Items {
				it, err := decodeItem(raw)
				if err != nil {
					continue // not one of ours
				}
				e := backends.Entry{Key: it.Key, Size: it.Size, Expires: it.Expires}
				if !yield(e, nil) {
					return
				}
			}
		}
	}
}

// Clear deletes every item of the table: it scans the partition keys and
// deletes them with BatchWriteItem, page by page.
func (b *Backend) Clear(ctx context.Context) error {
	if err := b.state.Begin(ctx, "dynamodb clear", b.table); err != nil {
		return err
	}
	p := dynamodb.NewScanPaginator(b.client, &dynamodb.ScanInput{
		TableName:                aws.String(b.table),
		ConsistentRead:           aws.Bool(b.consistent),
		ProjectionExpression:     aws.String("#pk"),
		ExpressionAttributeNames: map[string]string{"#pk": attrPK},
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("dynamodb clear %s: scan: %w", b.table, err)
		}
		pks := make([]string, 0, len(page.Items))
		for _, raw := range page.Items {
			if s, ok := raw[attrPK].(*types.AttributeValueMemberS); ok {
				pks = append(pks, s.Value)
			}
		}
		if err := b.batchDelete(ctx, pks); err != nil {
			return fmt.Errorf("dynamodb clear %s: %w", b.table, err)
		}
	}
	return nil
}

// Close marks the backend closed; later calls fail with backends.ErrClosed.
// The client belongs to the caller (it holds no connection to close).
func (b *Backend) Close() error {
	if !b.state.Close() {
		return fmt.Errorf("dynamodb close %s: %w", b.table, backends.ErrClosed)
	}
	return nil
}
