package filesystem

import (
	"encoding/binary"
	"fmt"
)

// A file holds one entry: a fixed header, the key, then the value.
//
//	offset  size  field
//	0       4     magic "CHFS"
//	4       1     format version (1)
//	5       8     expiry, unix nanoseconds, big-endian; 0 means never
//	13      4     key length, big-endian
//	17      8     value length, big-endian
//	25      n     key
//	25+n    m     value
//
// The value length lets a reader tell a whole file from a truncated one
// (after a machine crash, when files are not synced).
const (
	magic      = "CHFS"
	version    = 1
	fixedSize  = 25
	maxKeySize = 1 << 16 // a sanity bound on the key length a header may claim
)

// header is a decoded file header.
type header struct {
	expires  int64
	keyLen   int
	valueLen int64
}

// expired reports whether the entry expired at now (unix nanoseconds).
func (h header) expired(now int64) bool { return h.expires != 0 && now >= h.expires }

// size is the length of the whole file the header describes.
func (h header) size() int64 { return fixedSize + int64(h.keyLen) + h.valueLen }

// appendHeader appends the header and key of an entry to dst.
func appendHeader(dst []byte, key string, expires int64, valueLen int) []byte {
	dst = append(dst, magic...)
	dst = append(dst, version)
	dst = binary.BigEndian.AppendUint64(dst, uint64(expires))
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(key)))
	dst = binary.BigEndian.AppendUint64(dst, uint64(valueLen))
	return append(dst, key...)
}

// parseHeader decodes the fixed part of a header from b (at least
// fixedSize bytes).
func parseHeader(b []byte) (header, error) {
	if len(b) < fixedSize {
		return header{}, fmt.Errorf("%d bytes are shorter than the %d-byte header: %w", len(b), fixedSize, ErrCorrupt)
	}
	if string(b[:4]) != magic {
		return header{}, fmt.Errorf("magic %q, want %q: %w", b[:4], magic, ErrCorrupt)
	}
	if b[4] != version {
		return header{}, fmt.Errorf("format version %d, this version reads %d: %w", b[4], version, ErrCorrupt)
	}
	h := header{
		expires:  int64(binary.BigEndian.Uint64(b[5:])),
		keyLen:   int(binary.BigEndian.Uint32(b[13:])),
		valueLen: int64(binary.BigEndian.Uint64(b[17:])),
	}
	if h.expires < 0 || h.keyLen > maxKeySize || h.valueLen < 0 || h.valueLen > 1<<50 {
		return header{}, fmt.Errorf("header claims expiry %d, key length %d, value length %d: %w", h.expires, h.keyLen, h.valueLen, ErrCorrupt)
	}
	return h, nil
}

// parseFile decodes a whole file: its header, key and value (sharing b).
func parseFile(b []byte) (header, string, []byte, error) {
	h, err := parseHeader(b)
	if err != nil {
		return header{}, "", nil, err
	}
	if int64(len(b)) != h.size() {
		return header{}, "", nil, fmt.Errorf("file of %d bytes, header says %d (truncated or extended): %w", len(b), h.size(), ErrCorrupt)
	}
	key := string(b[fixedSize : fixedSize+h.keyLen])
	return h, key, b[fixedSize+h.keyLen:], nil
}
