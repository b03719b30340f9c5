package memcache

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"

	"github.com/cachedhttp/cachedhttp/backends/internal/chunk"
)

// The items a Backend keeps under its prefix P:
//
//	P + "gen"                the generation: a decimal counter, random at
//	                         first, incremented by Clear
//	P + "h:" + H             the head of the value stored under a key, where
//	                         H is the base64url SHA-256 of the key (43 bytes)
//	P + "c:" + W + ":" + i   chunk i of a large value, where W is the hex
//	                         write id of the Set that wrote it
//	P + "i:" + G + ":n"      the number of the newest index item of
//	                         generation G (decimal)
//	P + "i:" + G + ":" + n   index item n of generation G: the keys Set in
//	                         that generation, appended as records
//
// A head starts with headMagic, a kind byte, the generation it was written
// in and its expiry; a value whose generation is not the current one is a
// miss, which is how Clear empties the namespace in O(1).

const (
	headMagic = "cmh1"
	kindValue = 'v' // the value follows the header
	kindChunk = 'c' // a manifest follows the header
	// headerLen is magic, kind, generation and expiry (unix milliseconds).
	headerLen = len(headMagic) + 1 + 8 + 8
	// manifestLen is write id, size, chunk size, chunk count and CRC-32C.
	manifestLen = 16 + 8 + 4 + 4 + 4
	// recordMagic starts every index record.
	recordMagic = 0x01
	// maxKeyLen bounds the keys an index record may hold (the Backend
	// contract's 4 KiB, with room to spare).
	maxKeyLen = 64 << 10
	// maxChunks bounds a manifest's chunk count (a 64 GiB value at 1 MiB
	// chunks): a corrupt manifest must not make Get allocate without limit.
	maxChunks = 1 << 16
)

// errCorrupt reports an item that does not decode; Get treats it as a miss.
var errCorrupt = errors.New("corrupt item")

// head is a decoded head item.
type head struct {
	kind    byte
	gen     uint64
	expires int64  // unix milliseconds; 0 means no expiry
	value   []byte // kindValue: the stored value
	// kindChunk:
	writeID   [16]byte
	size      uint64
	chunkSize uint32
	chunks    uint32
	crc       uint32
}

// encodeValueHead returns the head item of a value stored in one item.
func encodeValueHead(gen uint64, expires int64, value []byte) []byte {
	b := make([]byte, 0, headerLen+len(value))
	b = appendHeader(b, kindValue, gen, expires)
	return append(b, value...)
}

// encodeChunkHead returns the head item (a manifest) of a chunked value.
func encodeChunkHead(h head) []byte {
	b := make([]byte, 0, headerLen+manifestLen)
	b = appendHeader(b, kindChunk, h.gen, h.expires)
	b = append(b, h.writeID[:]...)
	b = binary.BigEndian.AppendUint64(b, h.size)
	b = binary.BigEndian.AppendUint32(b, h.chunkSize)
	b = binary.BigEndian.AppendUint32(b, h.chunks)
	return binary.BigEndian.AppendUint32(b, h.crc)
}

func appendHeader(b []byte, kind byte, gen uint64, expires int64) []byte {
	b = append(b, headMagic...)
	b = append(b, kind)
	b = binary.BigEndian.AppendUint64(b, gen)
	return binary.BigEndian.AppendUint64(b, uint64(expires))
}

// decodeHead decodes a head item. The value of a kindValue head aliases b.
func decodeHead(b []byte) (head, error) {
	var h head
	if len(b) < headerLen || string(b[:len(headMagic)]) != headMagic {
		return h, fmt.Errorf("%w: head of %d bytes without the %q header", errCorrupt, len(b), headMagic)
	}
	h.kind = b[len(headMagic)]
	h.gen = binary.BigEndian.Uint64(b[len(headMagic)+1:])
	h.expires = int64(binary.BigEndian.Uint64(b[len(headMagic)+9:]))
	if h.expires < 0 {
		return h, fmt.Errorf("%w: negative expiry %d", errCorrupt, h.expires)
	}
	rest := b[headerLen:]
	switch h.kind {
	case kindValue:
		h.value = rest
		return h, nil
	case kindChunk:
		if len(rest) != manifestLen {
			return h, fmt.Errorf("%w: manifest of %d bytes, want %d", errCorrupt, len(rest), manifestLen)
		}
		copy(h.writeID[:], rest)
		rest = rest[16:]
		h.size = binary.BigEndian.Uint64(rest)
		h.chunkSize = binary.BigEndian.Uint32(rest[8:])
		h.chunks = binary.BigEndian.Uint32(rest[12:])
		h.crc = binary.BigEndian.Uint32(rest[16:])
		if h.chunkSize == 0 || h.chunks == 0 || h.chunks > maxChunks {
			return h, fmt.Errorf("%w: manifest with chunk size %d and %d chunks", errCorrupt, h.chunkSize, h.chunks)
		}
		if want := (h.size + uint64(h.chunkSize) - 1) / uint64(h.chunkSize); want != uint64(h.chunks) {
			return h, fmt.Errorf("%w: manifest of %d bytes in %d chunks of %d", errCorrupt, h.size, h.chunks, h.chunkSize)
		}
		return h, nil
	default:
		return h, fmt.Errorf("%w: unknown head kind %q", errCorrupt, h.kind)
	}
}

// valueSize returns the length of the value a head describes.
func (h head) valueSize() int64 {
	if h.kind == kindValue {
		return int64(len(h.value))
	}
	return int64(h.size)
}

// ref returns the chunks a manifest names (generation: the hex write id),
// and the zero Ref for a value head.
func (h head) ref() chunk.Ref {
	if h.kind != kindChunk {
		return chunk.Ref{}
	}
	return chunk.Ref{Gen: hex.EncodeToString(h.writeID[:]), Chunks: int(h.chunks)}
}

// appendRecord appends the index record of key to b.
func appendRecord(b []byte, key string) []byte {
	b = append(b, recordMagic)
	b = binary.AppendUvarint(b, uint64(len(key)))
	return append(b, key...)
}

// decodeIndex calls fn with the key of every record in an index item, in
// order, and reports a record that does not decode. Records are only ever
// appended whole (memcached's append is atomic), so a bad record means a
// foreign or corrupted item.
func decodeIndex(b []byte, fn func(key string)) error {
	for off := 0; off < len(b); {
		if b[off] != recordMagic {
			return fmt.Errorf("%w: index record at byte %d starts with %#x", errCorrupt, off, b[off])
		}
		n, w := binary.Uvarint(b[off+1:])
		if w <= 0 || n > maxKeyLen || w != len(binary.AppendUvarint(nil, n)) {
			return fmt.Errorf("%w: index record at byte %d has a bad key length", errCorrupt, off)
		}
		start := off + 1 + w
		if n > uint64(len(b)-start) {
			return fmt.Errorf("%w: index record at byte %d is truncated", errCorrupt, off)
		}
		fn(string(b[start : start+int(n)]))
		off = start + int(n)
	}
	return nil
}

// keys names the items of one Backend.
type keys struct{ prefix string }

func (k keys) gen() string { return k.prefix + "gen" }

func (k keys) head(key string) string {
	sum := sha256.Sum256([]byte(key))
	return k.prefix + "h:" + base64.RawURLEncoding.EncodeToString(sum[:])
}

// chunk names chunk i of generation gen (a write id in hex).
func (k keys) chunk(gen string, i int) string {
	return k.prefix + "c:" + gen + ":" + strconv.Itoa(i)
}

func (k keys) indexCounter(gen uint64) string {
	return k.prefix + "i:" + strconv.FormatUint(gen, 36) + ":n"
}

func (k keys) index(gen uint64, n uint64) string {
	return k.prefix + "i:" + strconv.FormatUint(gen, 36) + ":" + strconv.FormatUint(n, 10)
}
