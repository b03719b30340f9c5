package bbolt

import (
	"encoding/binary"
	"fmt"
)

// headerSize is the length of a record's header: expiry (unix nanoseconds,
// 0 for never) and write sequence number, both big-endian.
const headerSize = 16

// header is a decoded record header.
type header struct {
	expires int64
	seq     uint64
}

// appendRecord appends the record for value to dst.
func appendRecord(dst []byte, h header, value []byte) []byte {
	dst = binary.BigEndian.AppendUint64(dst, uint64(h.expires))
	dst = binary.BigEndian.AppendUint64(dst, h.seq)
	return append(dst, value...)
}

// parseRecord splits rec into its header and value (sharing rec's memory).
func parseRecord(rec []byte) (header, []byte, error) {
	if len(rec) < headerSize {
		return header{}, nil, fmt.Errorf("record of %d bytes is shorter than its %d-byte header: %w", len(rec), headerSize, ErrCorrupt)
	}
	h := header{
		expires: int64(binary.BigEndian.Uint64(rec)),
		seq:     binary.BigEndian.Uint64(rec[8:]),
	}
	if h.expires < 0 {
		return header{}, nil, fmt.Errorf("record has a negative expiry %d: %w", h.expires, ErrCorrupt)
	}
	return h, rec[headerSize:], nil
}

// expired reports whether a record with this header has expired at now
// (unix nanoseconds).
func (h header) expired(now int64) bool { return h.expires != 0 && now >= h.expires }

// ageKey is the "age" bucket key of a record: its sequence number.
func ageKey(h header) []byte { return binary.BigEndian.AppendUint64(nil, h.seq) }

// expiryKey is the "expiry" bucket key of a record: expiry then sequence
// number, so a cursor visits the soonest expiry first.
func expiryKey(h header) []byte {
	k := binary.BigEndian.AppendUint64(make([]byte, 0, 16), uint64(h.expires))
	return binary.BigEndian.AppendUint64(k, h.seq)
}

// parseExpiryKey returns the expiry stored in an "expiry" bucket key.
func parseExpiryKey(k []byte) (int64, error) {
	if len(k) != 16 {
		return 0, fmt.Errorf("expiry index key of %d bytes, want 16: %w", len(k), ErrCorrupt)
	}
	return int64(binary.BigEndian.Uint64(k)), nil
}

// dbKey is the bbolt key for a cache key: bbolt refuses empty keys, so
// every key gets a one-byte prefix.
func dbKey(key string) []byte {
	k := make([]byte, 1+len(key))
	k[0] = 'k'
	copy(k[1:], key)
	return k
}

// cacheKey inverts dbKey.
func cacheKey(k []byte) (string, error) {
	if len(k) == 0 || k[0] != 'k' {
		return "", fmt.Errorf("entry key %.40q lacks its prefix: %w", k, ErrCorrupt)
	}
	return string(k[1:]), nil
}
