package serializertest

import (
	"bytes"
	"io"

	"github.com/cachedhttp/cachedhttp/serializers"
	"github.com/cachedhttp/cachedhttp/serializers/internal/testhook"
)

// Fixed test keys. They protect nothing: they make records reproducible.
// The golden records were written with them.
var (
	// SignKeys are the HMAC keys of the signing specs; the first signs.
	SignKeys = []serializers.Key{
		{ID: "sign-2026", Secret: bytes.Repeat([]byte{0x5a}, 32)},
		{ID: "sign-2025", Secret: bytes.Repeat([]byte{0xa5}, 40)},
	}
	// EncryptKeys are the AES keys of the encrypting specs; the first
	// encrypts.
	EncryptKeys = []serializers.Key{
		{ID: "enc-2026", Secret: bytes.Repeat([]byte{0x3c}, 32)},
		{ID: "enc-2025", Secret: bytes.Repeat([]byte{0xc3}, 32)},
	}
)

// CounterReader is a deterministic nonce source: 0, 1, 2, ... as bytes.
type CounterReader struct{ n byte }

// Read fills p with the next bytes of the count.
func (c *CounterReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = c.n
		c.n++
	}
	return len(p), nil
}

// SetNonceSource makes the Encrypt stage s read its nonces from r, so that
// golden records are reproducible. It panics if s is not an Encrypt stage.
func SetNonceSource(s serializers.Stage, r io.Reader) { testhook.SetNonceSource(s, r) }
