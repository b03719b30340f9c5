package bsondoc

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"

	"github.com/cachedhttp/cachedhttp/backends/internal/expiry"
)

// HashKey returns the name a key's document is stored under: the hex
// SHA-256 of the key, so that keys of any bytes and length fit an _id or a
// filename.
func HashKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// HashKeys returns HashKey of every key.
func HashKeys(keys []string) []string {
	names := make([]string, len(keys))
	for i, k := range keys {
		names[i] = HashKey(k)
	}
	return names
}

// Expires returns the expires field of a value stored at now with ttl: a
// BSON date (milliseconds) rounded up by expiry.At, so that the value never
// expires before its ttl. ok is false when the value never expires and the
// field is left out.
func Expires(now time.Time, ttl time.Duration) (e bson.E, ok bool) {
	at, ok := expiry.At(now, ttl)
	if !ok {
		return bson.E{}, false
	}
	return bson.E{Key: "expires", Value: primitive.NewDateTimeFromTime(at)}, true
}

// Validate checks raw before anything reads it. It checks the length prefix
// itself first: mongo-driver v1.17's bson.Raw.Validate panics on some short
// inputs (found by fuzzing, for example "\x00\x00\x00\x00").
func Validate(raw bson.Raw) error {
	if len(raw) < 5 {
		return fmt.Errorf("document of %d bytes is too short", len(raw))
	}
	if n := int32(binary.LittleEndian.Uint32(raw)); n < 5 || int(n) != len(raw) {
		return fmt.Errorf("document length prefix %d does not match its %d bytes", n, len(raw))
	}
	return raw.Validate()
}
