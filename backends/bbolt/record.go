package bbolt

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
)

// headerSize is the length of a record's header: expiry (unix nanoseconds,
// 0 for never) and sequence number, both big-endian. Since format 2 the
// header is the whole record in the "entries" bucket, and the sequence
// number is the key of the value in the "values" bucket.
const headerSize = 16

// header is a decoded record header.
type header struct {
	expires int64
	seq     uint64
}

// appendHeader appends the encoded header to dst.
func appendHeader(dst []byte, h header) []byte {
	dst = binary.BigEndian.AppendUint64(dst, uint64(h.expires))
	return binary.BigEndian.AppendUint64(dst, h.seq)
}

// parseHeader decodes an "entries" record of format 2: a header alone.
func parseHeader(rec []byte) (header, error) {
	if len(rec) != headerSize {
		return header{}, fmt.Errorf("record of %d bytes, want a %d-byte header: %w", len(rec), headerSize, ErrCorrupt)
	}
	return decodeHeader(rec)
}

// parseInline splits an "entries" record of format 1 into its header and
// value (sharing rec's memory): the value followed the header then.
func parseInline(rec []byte) (header, []byte, error) {
	if len(rec) < headerSize {
		return header{}, nil, fmt.Errorf("record of %d bytes is shorter than its %d-byte header: %w", len(rec), headerSize, ErrCorrupt)
	}
	h, err := decodeHeader(rec)
	return h, rec[headerSize:], err
}

func decodeHeader(rec []byte) (header, error) {
	h := header{
		expires: int64(binary.BigEndian.Uint64(rec)),
		seq:     binary.BigEndian.Uint64(rec[8:]),
	}
	if h.expires < 0 {
		return header{}, fmt.Errorf("record has a negative expiry %d: %w", h.expires, ErrCorrupt)
	}
	return h, nil
}

// expired reports whether a record with this header has expired at now
// (unix nanoseconds).
func (h header) expired(now int64) bool { return h.expires != 0 && now >= h.expires }

// seqKey is the key of a sequence number in the "values" and "age"
// buckets: big-endian, so a cursor visits the oldest first.
func seqKey(seq uint64) []byte { return binary.BigEndian.AppendUint64(make([]byte, 0, 8), seq) }

// expiryKey is the "expiry" bucket key of a record: expiry then sequence
// number, so a cursor visits the soonest expiry first.
func expiryKey(h header) []byte { return appendHeader(make([]byte, 0, headerSize), h) }

// parseExpiryKey returns the expiry stored in an "expiry" bucket key.
func parseExpiryKey(k []byte) (int64, error) {
	if len(k) != 16 {
		return 0, fmt.Errorf("expiry index key of %d bytes, want 16: %w", len(k), ErrCorrupt)
	}
	return int64(binary.BigEndian.Uint64(k)), nil
}

// hashLen is the length of the hex digest that ends the keys packed keys
// hold as bytes: a SHA-256 in lower-case hex, as cachedhttp's keys end.
const hashLen = 64

// dbKey is the bbolt key for a cache key. bbolt refuses empty keys, so
// every key gets a one-byte prefix: 'k' for the key as it is, or, in files
// of format 3 (packed), 'h' for a key that ends in hashLen lower-case hex
// digits, stored as the rest of the key followed by the 32 bytes the
// digits spell (36 bytes instead of 68 for a cachedhttp key "v1:..."). The
// first byte tells the forms apart, and each form has one inverse, so no
// two keys share a bbolt key.
func dbKey(key string, packed bool) []byte {
	if n := len(key) - hashLen; packed && n >= 0 && isLowerHex(key[n:]) {
		k := make([]byte, 1+n+hashLen/2)
		k[0] = 'h'
		copy(k[1:], key[:n])
		_, _ = hex.Decode(k[1+n:], []byte(key[n:])) // checked by isLowerHex
		return k
	}
	k := make([]byte, 1+len(key))
	k[0] = 'k'
	copy(k[1:], key)
	return k
}

// isLowerHex reports whether s is lower-case hex digits only.
func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// cacheKey inverts dbKey (either form, in a file of any format).
func cacheKey(k []byte) (string, error) {
	switch {
	case len(k) > 0 && k[0] == 'k':
		return string(k[1:]), nil
	case len(k) >= 1+hashLen/2 && k[0] == 'h':
		n := len(k) - hashLen/2
		out := make([]byte, n-1+hashLen)
		copy(out, k[1:n])
		hex.Encode(out[n-1:], k[n:])
		return string(out), nil
	}
	return "", fmt.Errorf("entry key %.40q lacks its prefix: %w", k, ErrCorrupt)
}

// keyLen returns the length of the cache key that the bbolt key k stands
// for, which the size bound counts (the bound is the same whichever form
// the file stores).
func keyLen(k []byte) int {
	if len(k) > 0 && k[0] == 'h' {
		return len(k) - 1 + hashLen/2
	}
	return len(k) - 1
}
