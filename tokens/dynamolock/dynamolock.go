// Package dynamolock implements tokens.Locker in DynamoDB, so that
// processes on any number of machines sharing a token store refresh a token
// once.
//
// A lock is an item of the table, written with a conditional PutItem that
// succeeds only when no lock item exists or the existing one's lease has
// run out; it names its holder (a random id) and the end of its lease.
// Unlock deletes the item only while it still names the holder (a
// conditional DeleteItem). Waiters poll. Lock items carry the ttl attribute
// too, so a table with TTL enabled deletes abandoned ones.
//
// Lock items share the table of a dynamodb backend without disturbing it:
// their partition keys ("tokens-lock#" and a SHA-256) never equal the
// backend's, and they have no key attribute, so the backend's Scan skips
// them (its Clear deletes them, which releases the locks).
//
// Leases are judged by the clocks of the processes: their clocks must agree
// to well within the lease. This is a lock for efficiency (one refresh
// instead of several), not for correctness: if a refresh outlasts the
// lease, a second process may refresh too.
package dynamolock

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	ddbbackend "github.com/cachedhttp/cachedhttp/backends/dynamodb"
	"github.com/cachedhttp/cachedhttp/tokens"
)

// DefaultTTL is the lease of a lock when Options.TTL is zero.
const DefaultTTL = 30 * time.Second

// DefaultPartitionKey is the partition key attribute when
// Options.PartitionKey is empty: the one of a dynamodb backend's table.
const DefaultPartitionKey = "pk"

// Attribute names of a lock item.
const (
	attrOwner = "owner"
	attrUntil = "until" // end of the lease, Unix milliseconds
	attrTTL   = "ttl"   // Unix seconds, for DynamoDB's TTL deletion
)

// Options configure New. A nil *Options means the zero value.
type Options struct {
	// PartitionKey is the name of the table's partition key, a string.
	// Empty means DefaultPartitionKey ("pk").
	PartitionKey string
	// TTL is the lease: how long a lock is held at most. Zero means
	// DefaultTTL (30 s).
	TTL time.Duration
}

// Locker locks token keys with items of a DynamoDB table. It is safe for
// concurrent use.
type Locker struct {
	client *dynamodb.Client
	table  string
	pk     string
	ttl    time.Duration
}

var _ tokens.Locker = (*Locker)(nil)

// New returns a Locker writing lock items into table (which must exist, with
// a string partition key) through client, which remains the caller's.
func New(client *dynamodb.Client, table string, opts *Options) (*Locker, error) {
	if client == nil {
		return nil, errors.New("dynamolock: new: nil client")
	}
	if table == "" {
		return nil, errors.New("dynamolock: new: empty table name")
	}
	if opts == nil {
		opts = &Options{}
	}
	l := &Locker{client: client, table: table, pk: opts.PartitionKey, ttl: opts.TTL}
	if l.pk == "" {
		l.pk = DefaultPartitionKey
	}
	if l.ttl == 0 {
		l.ttl = DefaultTTL
	}
	if l.ttl < time.Millisecond {
		return nil, fmt.Errorf("dynamolock: new: lease %v shorter than a millisecond", l.ttl)
	}
	return l, nil
}

// ForBackend returns a Locker keeping its items in the table of a dynamodb
// backend (the one a BackendStore keeps tokens in).
func ForBackend(b *ddbbackend.Backend, opts *Options) (*Locker, error) {
	if b == nil {
		return nil, errors.New("dynamolock: for backend: nil backend")
	}
	return New(b.Client(), b.Table(), opts)
}

// lockPK returns the partition key of key's lock item.
func lockPK(key string) string {
	sum := sha256.Sum256([]byte(key))
	return "tokens-lock#" + hex.EncodeToString(sum[:])
}

func num(n int64) *types.AttributeValueMemberN {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}

// Lock takes the lock of key, polling until it holds it or ctx ends.
func (l *Locker) Lock(ctx context.Context, key string) (func(context.Context) error, error) {
	pk := lockPK(key)
	var id [16]byte
	_, _ = rand.Read(id[:]) // never fails since Go 1.24
	owner := hex.EncodeToString(id[:])
	for attempt := 0; ; attempt++ {
		now := time.Now()
		until := now.Add(l.ttl)
		_, err := l.client.PutItem(ctx, &dynamodb.PutItemInput{
			TableName: aws.String(l.table),
			Item: map[string]types.AttributeValue{
				l.pk:      &types.AttributeValueMemberS{Value: pk},
				attrOwner: &types.AttributeValueMemberS{Value: owner},
				attrUntil: num(until.UnixMilli()),
				attrTTL:   num(until.Unix() + 60),
			},
			ConditionExpression:      aws.String("attribute_not_exists(#pk) OR #until < :now"),
			ExpressionAttributeNames: map[string]string{"#pk": l.pk, "#until": attrUntil},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":now": num(now.UnixMilli()),
			},
		})
		if err == nil {
			break
		}
		var held *types.ConditionalCheckFailedException
		if !errors.As(err, &held) {
			return nil, fmt.Errorf("dynamolock: lock %q: %w", key, err)
		}
		if err := pause(ctx, attempt); err != nil {
			return nil, fmt.Errorf("dynamolock: lock %q: %w", key, err)
		}
	}
	return func(ctx context.Context) error {
		_, err := l.client.DeleteItem(ctx, &dynamodb.DeleteItemInput{
			TableName:                 aws.String(l.table),
			Key:                       map[string]types.AttributeValue{l.pk: &types.AttributeValueMemberS{Value: pk}},
			ConditionExpression:       aws.String("#owner = :owner"),
			ExpressionAttributeNames:  map[string]string{"#owner": attrOwner},
			ExpressionAttributeValues: map[string]types.AttributeValue{":owner": &types.AttributeValueMemberS{Value: owner}},
		})
		var lost *types.ConditionalCheckFailedException
		if errors.As(err, &lost) {
			return fmt.Errorf("dynamolock: unlock %q: %w", key, tokens.ErrLockLost)
		}
		if err != nil {
			return fmt.Errorf("dynamolock: unlock %q: %w", key, err)
		}
		return nil
	}, nil
}

// pause waits before attempt+1: 10 ms doubling to 500 ms, with jitter.
func pause(ctx context.Context, attempt int) error {
	d := min(10*time.Millisecond<<min(attempt, 6), 500*time.Millisecond)
	t := time.NewTimer(d/2 + mrand.N(d/2+1))
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
