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
	"github.com/cachedhttp/cachedhttp/backends/internal/chunk"
)

// absentOrExpired is the condition under which Add and the creation of a
// counter may write a value's item: there is none, or it expired (by the
// writer's clock, :now in unix milliseconds; DynamoDB deletes expired items
// late or never).
const absentOrExpired = "attribute_not_exists(#pk) OR #exp <= :now"

// errLive is what an adding write's PutHead returns when the key holds a
// live value: chunk.Write then deletes the chunks it wrote.
var errLive = errors.New("the key holds a live value")

// Add stores value under key with a PutItem conditional on the item being
// absent or expired, which DynamoDB evaluates atomically: it implements
// backends.Adder. A large value is written by chunk.Put, as Set writes it:
// the chunks first, then the conditional item; they are deleted again when
// the condition fails.
func (b *Backend) Add(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error) {
	if err := b.state.Begin(ctx, "dynamodb add", key); err != nil {
		return false, err
	}
	added, err := b.add(ctx, key, value, ttl)
	if err != nil {
		return added, fmt.Errorf("dynamodb add %q: %w", key, err)
	}
	return added, nil
}

// add stores value under key unless a live item is there, and reports
// whether it did (true with an error: stored, but the chunks of the
// expired value it replaced may remain).
func (b *Backend) add(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error) {
	now := time.Now()
	w, inline := b.newWrite(key, value, now, ttl)
	a := &adding{write: w, now: now}
	err := chunk.Put(ctx, a, value, b.chunkSize, inline)
	if errors.Is(err, errLive) {
		return false, nil
	}
	return a.added, err
}

// adding is a write whose head goes only where no live item is.
type adding struct {
	*write
	now   time.Time // the writer's clock, by which an item has expired
	added bool      // the head was written
}

// PutHead writes the value's item unless a live item has its partition
// key (then it fails with errLive), and returns the chunks of the expired
// item it replaced.
func (a *adding) PutHead(ctx context.Context, gen chunk.Ref) ([]chunk.Ref, error) {
	a.name(gen)
	out, err := a.b.client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                 aws.String(a.b.table),
		Item:                      a.item,
		ConditionExpression:       aws.String(absentOrExpired),
		ExpressionAttributeNames:  map[string]string{"#pk": attrPK, "#exp": attrExpires},
		ExpressionAttributeValues: map[string]types.AttributeValue{":now": num(a.now.UnixMilli())},
		// Only when an expired item is replaced does this send it back.
		ReturnValues: types.ReturnValueAllOld,
	})
	var failed *types.ConditionalCheckFailedException
	if errors.As(err, &failed) {
		return nil, errLive
	}
	if err != nil {
		return nil, err
	}
	a.added = true
	if old, err := chunkRef(out.Attributes); err == nil && old.Chunks > 0 {
		return []chunk.Ref{old}, nil
	}
	return nil, nil
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
		if err := b.state.Begin(ctx, "dynamodb incr", key); err != nil {
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
		if out.Item == nil || cur.Expired(now) {
			added, err := b.add(ctx, key, strconv.AppendInt(nil, delta, 10), ttl)
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
