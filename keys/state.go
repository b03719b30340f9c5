package keys

import (
	"crypto/sha256"
	"encoding/binary"
	"hash"
	"sync"
)

// state holds the scratch space of one key computation. Keys are computed on
// every request, so states are pooled: a warm Create allocates only the key
// string it returns.
type state struct {
	h     hash.Hash // SHA-256 of the canonical encoding
	mac   hash.Hash // SHA-256 used to compute the credential HMAC
	buf   []byte    // canonical encoding, hashed in pieces
	tmp   []byte    // scratch for query and form pieces
	dec   []byte    // scratch for decoding parameter names
	body  []byte    // normalised body
	jtmp  []byte    // scratch for JSON member reordering
	cred  []byte    // credential message, HMACed
	sbuf  []byte    // secret parameter names and values
	spans []jspan   // JSON object members
	par   []param   // query or form parameters
	sec   []param   // secret parameters (offsets into sbuf)
	abuf  []byte    // Accept-* members in canonical form
	acc   []amember // Accept-* members (offsets into abuf)
	names []string  // header names
	extra []string  // non-canonical header keys of the request
	known uint32    // knownHeaders present in the request (scanHeader)
	sum   [sha256.Size]byte
	inner [sha256.Size]byte
	pad   [sha256.BlockSize]byte
	kpad  [sha256.BlockSize]byte
}

var statePool = sync.Pool{New: func() any {
	return &state{h: sha256.New(), mac: sha256.New()}
}}

// maxPooledBuf bounds the buffers a pooled state keeps, so one huge body does
// not pin memory for the life of the process.
const maxPooledBuf = 64 << 10

func getState() *state { return statePool.Get().(*state) }

func putState(s *state) {
	// Pooled buffers outlive the request: leave no credential in them.
	clear(s.cred[:cap(s.cred)])
	clear(s.sbuf[:cap(s.sbuf)])
	if cap(s.body) > maxPooledBuf || cap(s.jtmp) > maxPooledBuf || cap(s.tmp) > maxPooledBuf ||
		cap(s.buf) > maxPooledBuf || cap(s.sbuf) > maxPooledBuf || cap(s.cred) > maxPooledBuf ||
		cap(s.dec) > maxPooledBuf || cap(s.abuf) > maxPooledBuf || cap(s.acc) > 4096 || cap(s.spans) > 4096 || cap(s.par) > 4096 || cap(s.sec) > 4096 {
		return
	}
	statePool.Put(s)
}

// appendField appends a length-prefixed field: a tag byte, the length as 4
// bytes big endian, then the bytes. A sequence of such fields is
// self-delimiting, so different inputs cannot collide by concatenation.
func appendField[T ~string | ~[]byte](dst []byte, tag byte, v T) []byte {
	dst = append(dst, tag)
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(v)))
	return append(dst, v...)
}

// beginField starts a field whose length is not known yet; endField fills it
// in. They let URL normalisation write straight into the encoding.
func beginField(dst []byte, tag byte) ([]byte, int) {
	dst = append(dst, tag, 0, 0, 0, 0)
	return dst, len(dst)
}

func endField(dst []byte, start int) []byte {
	binary.BigEndian.PutUint32(dst[start-4:start], uint32(len(dst)-start))
	return dst
}

// hmacSum computes HMAC-SHA256(secret, msg) (RFC 2104) into s.sum using the
// pooled hasher, which avoids the allocations of hmac.New on every request.
func (s *state) hmacSum(secret, msg []byte) []byte {
	k := s.kpad[:]
	clear(k)
	if len(secret) > sha256.BlockSize {
		s.mac.Reset()
		s.mac.Write(secret)
		s.mac.Sum(k[:0])
	} else {
		copy(k, secret)
	}
	for i, b := range k {
		s.pad[i] = b ^ 0x36
	}
	s.mac.Reset()
	s.mac.Write(s.pad[:])
	s.mac.Write(msg)
	inner := s.mac.Sum(s.inner[:0])
	for i, b := range k {
		s.pad[i] = b ^ 0x5c
	}
	s.mac.Reset()
	s.mac.Write(s.pad[:])
	s.mac.Write(inner)
	return s.mac.Sum(s.sum[:0])
}
