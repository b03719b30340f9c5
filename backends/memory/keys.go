package memory

import "encoding/hex"

// Keys are held packed. cachedhttp's keys end in 64 lowercase hexadecimal
// digits (a version prefix, then a SHA-256): such a key is held as a 0x01
// byte, its prefix and the 32 bytes the digits spell, which saves 31 bytes
// per entry (a 67-byte key fits a 48-byte allocation instead of an 80-byte
// one). Any other key is held as a 0x00 byte and the key itself. The form
// is reversible, so Scan returns every key exactly as it was given; lookups
// build it in a buffer on the stack, so a Get does not allocate.

const (
	hexTail      = 64 // hex digits packed
	packedTail   = hexTail / 2
	markRaw      = 0x00
	markPacked   = 0x01
	packBufBytes = 128 // keys up to this size are packed without allocating
)

// hexValue maps a lowercase hex digit to its value and any other byte to
// 0xff.
var hexValue = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = byte(c - '0')
	}
	for c := 'a'; c <= 'f'; c++ {
		t[c] = byte(c - 'a' + 10)
	}
	return t
}()

// packKey appends the held form of key to dst. It decodes the hex tail and
// checks it in one pass, and falls back to the raw form when a byte of the
// tail is not a lowercase hex digit.
func packKey(dst []byte, key string) []byte {
	start := len(dst)
	if len(key) >= hexTail {
		head := len(key) - hexTail
		dst = append(dst, markPacked)
		dst = append(dst, key[:head]...)
		tail := key[head:]
		var bad byte
		for i := 0; i < hexTail; i += 2 {
			hi, lo := hexValue[tail[i]], hexValue[tail[i+1]]
			bad |= hi | lo // a digit is below 16, anything else 0xff
			dst = append(dst, hi<<4|lo)
		}
		if bad < 16 {
			return dst
		}
		dst = dst[:start]
	}
	dst = append(dst, markRaw)
	return append(dst, key...)
}

// heldKey returns the held form of key as a new string (for the map).
func heldKey(key string) string {
	var buf [packBufBytes]byte
	return string(packKey(buf[:0], key))
}

// unpackKey returns the key a held form stands for.
func unpackKey(held string) string {
	if len(held) == 0 || held[0] == markRaw {
		if len(held) == 0 {
			return ""
		}
		return held[1:]
	}
	head := held[1 : len(held)-packedTail]
	return head + hex.EncodeToString([]byte(held[len(held)-packedTail:]))
}

// keyLen returns the length of the key a held form stands for.
func keyLen(held string) int {
	if len(held) == 0 {
		return 0
	}
	if held[0] == markRaw {
		return len(held) - 1
	}
	return len(held) - 1 + packedTail
}
