package dynamodb

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/cachedhttp/cachedhttp/backends"
)

var (
	_ backends.Adder       = (*Backend)(nil)
	_ backends.Incrementer = (*Backend)(nil)
)

// absentOrExpired is the condition under which Add and the creation of a
// counter may write a value's item: there is none, or it expired (by the
// writer's clock, :now in unix milliseconds; DynamoDB deletes expired items
// late or never).
const absentOrExpired = "attribute_not_exists(#pk) OR #exp <= :now"

// Add stores value under key with a PutItem conditional on the item being
// absent or expired, which DynamoDB evaluates atomically: it implements
// backends.Adder. A large value's chunks are written first and deleted
// again when the condition fails.
func (b *Backend) Add(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error) {
	if err := b.begin(ctx, "add", key); err != nil {
		return false, err
	}
	now := time.Now()
	pk := hashKey(key)
	it := b.valueItem(pk, key, value, now, ttl)
	var gen string
	var n int
	if _, inline := it[attrValue]; !inline {
		gen = newGeneration()
		n = (len(value) + b.chunkSize - 1) / b.chunkSize
		_, secs, hasExp := expiry(now, ttl)
		if err := b.putChunks(ctx, pk, gen, value, secs, hasExp); err != nil {
			b.deleteChunks(context.WithoutCancel(ctx), pk, gen, n)
			return false, fmt.Errorf("dynamodb add %q: write %d chunks: %w", key, n, err)
		}
		it[attrGen] = &types.AttributeValueMemberS{Value: gen}
		it[attrChunks] = num(int64(n))
	}
	added, err := b.putIfAbsentOrExpired(ctx, it, now)
	if !added && gen != "" {
		b.deleteChunks(context.WithoutCancel(ctx), pk, gen, n)
	}
	if err != nil {
		return false, fmt.Errorf("dynamodb add %q: %w", key, err)
	}
	return added, nil
}

// valueItem returns the item Set writes for an inline value (with the
// value attribute) or a chunked one (without it; the caller adds the chunk
// reference).
func (b *Backend) valueItem(pk, key string, value []byte, now time.Time, ttl time.Duration) map[string]types.AttributeValue {
	it := map[string]types.AttributeValue{
		attrPK:   &types.AttributeValueMemberS{Value: pk},
		attrKey:  &types.AttributeValueMemberB{Value: []byte(key)},
		attrSize: num(int64(len(value))),
	}
	if ms, secs, ok := expiry(now, ttl); ok {
		it[attrExpires] = num(ms)
		it[attrTTL] = num(secs)
	}
	if len(value)+len(key) <= b.chunkSize && len(value)+len(key)+inlineOverhead <= itemLimit {
		it[attrValue] = &types.AttributeValueMemberB{Value: value}
	}
	return it
}

// putIfAbsentOrExpired writes it unless a live item has its partition key,
// and reports whether it did. The chunks of an expired item it replaces
// are deleted.
func (b *Backend) putIfAbsentOrExpired(ctx context.Context, it map[string]types.AttributeValue, now time.Time) (bool, error) {
	out, err := b.client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                 aws.String(b.table),
		Item:                      it,
		ConditionExpression:       aws.String(absentOrExpired),
		ExpressionAttributeNames:  map[string]string{"#pk": attrPK, "#exp": attrExpires},
		ExpressionAttributeValues: map[string]types.AttributeValue{":now": num(now.UnixMilli())},
		// Only when an expired item is replaced does this send it back.
		ReturnValues: types.ReturnValueAllOld,
	})
	var failed *types.ConditionalCheckFailedException
	if errors.As(err, &failed) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if gen, n, err := chunkRef(out.Attributes); err == nil && n > 0 {
		pk := it[attrPK].(*types.AttributeValueMemberS).Value
		if err := b.batchDelete(ctx, chunkPKs(pk, gen, n)); err != nil {
			return true, fmt.Errorf("delete replaced chunks: %w", err)
		}
	}
	return true, nil
}

// Incr adds delta to the decimal integer stored under key by compare and
// swap: it reads the item (strongly consistent), then writes the sum with
// an UpdateItem conditional on the value being the one it read and still
// live, and reads again when another writer got there first. An absent or
// expired counter is created by a conditional PutItem. DynamoDB evaluates
// each condition atomically, so no increment is lost: it implements
// backends.Incrementer. The update leaves the expiry attributes alone.
func (b *Backend) Incr(ctx context.Context, key string, delta int64, ttl time.Duration) (int64, error) {
	pk := hashKey(key)
	for {
		if err := b.begin(ctx, "incr", key); err != nil {
			return 0, err
		}
		out, err := b.client.GetItem(ctx, &dynamodb.GetItemInput{
			TableName:      aws.String(b.table),
			Key:            pkOf(pk),
			ConsistentRead: aws.Bool(true),
		})
		if err != nil {
			return 0, fmt.Errorf("dynamodb incr %q: %w", key, err)
		}
		now := time.Now()
		var cur item
		if out.Item != nil {
			if cur, err = decodeItem(out.Item); err != nil {
				return 0, fmt.Errorf("dynamodb incr %q: %w (%w)", key, backends.ErrNotInteger, err)
			}
		}
		if out.Item == nil || cur.expired(now) {
			added, err := b.putIfAbsentOrExpired(ctx, b.valueItem(pk, key, strconv.AppendInt(nil, delta, 10), now, ttl), now)
			if err != nil {
				return 0, fmt.Errorf("dynamodb incr %q: %w", key, err)
			}
			if added {
				return delta, nil
			}
			continue // another writer created it first
		}
		if cur.Chunks > 0 {
			return 0, fmt.Errorf("dynamodb incr %q: a chunked value: %w", key, backends.ErrNotInteger)
		}
		n, err := backends.Increment(cur.Value, delta)
		if err != nil {
			return 0, fmt.Errorf("dynamodb incr %q: %w", key, err)
		}
		v := strconv.AppendInt(nil, n, 10)
		_, err = b.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName:           aws.String(b.table),
			Key:                 pkOf(pk),
			UpdateExpression:    aws.String("SET #v = :new, #sz = :sz"),
			ConditionExpression: aws.String("#v = :old AND (attribute_not_exists(#exp) OR #exp > :now)"),
			ExpressionAttributeNames: map[string]string{
				"#v": attrValue, "#sz": attrSize, "#exp": attrExpires,
			},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":new": &types.AttributeValueMemberB{Value: v},
				":sz":  num(int64(len(v))),
				":old": &types.AttributeValueMemberB{Value: cur.Value},
				":now": num(now.UnixMilli()),
			},
		})
		var failed *types.ConditionalCheckFailedException
		if errors.As(err, &failed) {
			continue // changed, deleted or expired since the read
		}
		if err != nil {
			return 0, fmt.Errorf("dynamodb incr %q: %w", key, err)
		}
		return n, nil
	}
}
