package mongodb

import (
	"context"
	"errors"
	"fmt"
	mathrand "math/rand/v2"
	"strconv"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"
	"go.mongodb.org/mongo-driver/mongo"

	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/backends/internal/backoff"
	"github.com/cachedhttp/cachedhttp/backends/internal/bsondoc"
	"github.com/cachedhttp/cachedhttp/backends/internal/chunk"
)

// LockLease is how long a lock document taken by Add or Incr holds before
// another caller may break it, in case its holder died. A holder needs a
// few round trips; one stalled longer than this can lose an update.
const LockLease = 10 * time.Second

// Add stores value under key unless a live value is there: it implements
// backends.Adder, with the key's lock document held (see withLock) while
// it reads the key's document and, if it is absent or expired, stores
// value as Set does.
func (b *Backend) Add(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error) {
	if err := b.life.Begin(ctx, "mongodb add", key); err != nil {
		return false, err
	}
	var added bool
	err := b.withLock(ctx, key, func() error {
		_, live, err := b.current(ctx, key)
		if err != nil || live {
			return err
		}
		if err := b.Set(ctx, key, value, ttl); err != nil {
			return err
		}
		added = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("mongodb add %q: %w", key, err)
	}
	return added, nil
}

// Incr adds delta to the decimal integer stored under key: it implements
// backends.Incrementer, with the key's lock document held (see withLock)
// while it reads the key's document and writes the sum. An existing
// counter is updated with $set of its value and size, which leaves its
// expiry as it was; an absent one is stored as Set does.
func (b *Backend) Incr(ctx context.Context, key string, delta int64, ttl time.Duration) (int64, error) {
	if err := b.life.Begin(ctx, "mongodb incr", key); err != nil {
		return 0, err
	}
	var n int64
	err := b.withLock(ctx, key, func() error {
		d, live, err := b.current(ctx, key)
		if err != nil {
			return err
		}
		if !live {
			n = delta
			return b.Set(ctx, key, strconv.AppendInt(nil, n, 10), ttl)
		}
		if d.Chunks > 0 {
			return fmt.Errorf("a chunked value: %w", backends.ErrNotInteger)
		}
		if n, err = backends.Increment(d.Value, delta); err != nil {
			return err
		}
		v := strconv.AppendInt(nil, n, 10)
		_, err = b.coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: bsondoc.HashKey(key)}}, bson.D{{Key: "$set", Value: bson.D{
			{Key: "value", Value: primitive.Binary{Data: v}},
			{Key: "size", Value: int64(len(v))},
		}}})
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("mongodb incr %q: %w", key, err)
	}
	return n, nil
}

// current reads key's document and reports whether it holds a live value
// (a malformed document counts as absent, as Get says).
func (b *Backend) current(ctx context.Context, key string) (document, bool, error) {
	raw, err := bsondoc.FindOne(ctx, b.coll, bson.D{{Key: "_id", Value: bsondoc.HashKey(key)}})
	if errors.Is(err, backends.ErrNotFound) {
		return document{}, false, nil
	}
	if err != nil {
		return document{}, false, err
	}
	d, err := decodeDocument(raw)
	if err != nil || d.Key != key || d.Expired(time.Now()) {
		return document{}, false, nil
	}
	return d, true, nil
}

// withLock runs fn holding the lock document of key, whose _id is the
// key's document _id followed by "/lock".
//
// Why a lock rather than a conditional update: on FerretDB 1.x (a MongoDB
// API over PostgreSQL or SQLite) an update, with or without a filter on the
// old value, reads the document and writes it back as two steps, so two
// compare-and-swaps of one document can both succeed; inserting a
// duplicate _id, however, always fails. The lock is taken by inserting its
// document and released by deleting it. It carries a random token and an
// expiry LockLease ahead (which a TTL index, where the server has one,
// also honours); a caller that finds an expired lock deletes it, by token,
// and tries again. Plain Set and Delete do not take the lock: a Set racing
// an Incr may be overwritten by it.
func (b *Backend) withLock(ctx context.Context, key string, fn func() error) error {
	id := bsondoc.HashKey(key) + "/lock"
	token := chunk.NewGeneration() // random, as a generation id is
	for attempt := 0; ; attempt++ {
		if err := b.life.Check(ctx); err != nil {
			return err
		}
		lease := primitive.NewDateTimeFromTime(time.Now().Add(LockLease))
		_, err := b.coll.InsertOne(ctx, bson.D{
			{Key: "_id", Value: id},
			{Key: "token", Value: token},
			{Key: "expires", Value: lease},
		})
		if err == nil {
			break
		}
		if !mongo.IsDuplicateKeyError(err) {
			return fmt.Errorf("take lock: %w", err)
		}
		if err := b.breakExpiredLock(ctx, id); err != nil {
			return err
		}
		if err := backoff.Sleep(ctx, lockDelay(attempt)); err != nil {
			return err
		}
	}
	defer func() {
		// Release even when ctx is done: the lease would block others.
		_, _ = b.coll.DeleteOne(context.WithoutCancel(ctx), bson.D{{Key: "_id", Value: id}, {Key: "token", Value: token}})
	}()
	return fn()
}

// breakExpiredLock deletes the lock document id if its lease has passed.
func (b *Backend) breakExpiredLock(ctx context.Context, id string) error {
	raw, err := bsondoc.FindOne(ctx, b.coll, bson.D{{Key: "_id", Value: id}})
	if errors.Is(err, backends.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read lock: %w", err)
	}
	exp, ok := raw.Lookup("expires").DateTimeOK()
	token, tok := raw.Lookup("token").StringValueOK()
	if !ok || !tok || time.Now().Before(time.UnixMilli(exp)) {
		return nil
	}
	if _, err := b.coll.DeleteOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "token", Value: token}}); err != nil {
		return fmt.Errorf("break expired lock: %w", err)
	}
	return nil
}

// lockDelay returns the pause before attempt+1 to take a lock: a
// millisecond at first, doubling up to 32, plus as much again at most of
// jitter, so that waiters do not retry in step.
func lockDelay(attempt int) time.Duration {
	d := backoff.Delay(time.Millisecond, 32*time.Millisecond, attempt)
	return d + time.Duration(mathrand.Int64N(int64(d)))
}
