// Package bsondoc holds what the MongoDB-backed stores (mongodb, gridfs)
// share about their documents: how a cache key becomes a document name, and
// a validation that never panics. (A TTL becomes a BSON date by
// expiry.At.)
package bsondoc

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"

	"go.mongodb.org/mongo-driver/bson"
)

// HashKey returns the name a key's document is stored under: the hex
// SHA-256 of the key, so that keys of any bytes and length fit an _id or a
// filename.
func HashKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
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
