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

// packable reports whether key ends in hexTail lowercase hex digits.
func packable(key string) bool {
	if len(key) < hexTail {
		return false
	}
	for i := len(key) - hexTail; i < len(key); i++ {
		c := key[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// packKey appends the held form of key to dst.
func packKey(dst []byte, key string) []byte {
	if !packable(key) {
		dst = append(dst, markRaw)
		return append(dst, key...)
	}
	head := len(key) - hexTail
	dst = append(dst, markPacked)
	dst = append(dst, key[:head]...)
	for i := head; i < len(key); i += 2 {
		dst = append(dst, nibble(key[i])<<4|nibble(key[i+1]))
	}
	return dst
}

// nibble is the value of a lowercase hex digit (packable checked it).
func nibble(c byte) byte {
	if c <= '9' {
		return c - '0'
	}
	return c - 'a' + 10
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
