package serializers

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"hash"
	"io"
	"sync"

	"github.com/cachedhttp/cachedhttp/serializers/internal/testhook"
)

// Key is a secret key with an id. The id is written in every record the key
// protects, so that a reader holding several keys knows which one to use:
// give keys new ids when rotating and keep the old ones configured until
// the records they protect have expired.
type Key struct {
	// ID names the key in record headers: 1 to 64 characters from A-Z a-z
	// 0-9 and "._-". It is not secret.
	ID string
	// Secret is the key material: 32 bytes or more for Sign, exactly 32
	// bytes for Encrypt (AES-256).
	Secret []byte
}

// checkKeys validates a key list for a keyed stage.
func checkKeys(stage string, keys []Key, valid func(n int) bool, want string) error {
	if len(keys) == 0 {
		return fmt.Errorf("%s: no keys", stage)
	}
	seen := map[string]bool{}
	for _, k := range keys {
		if err := checkKeyID(k.ID); err != nil {
			return fmt.Errorf("%s: %w", stage, err)
		}
		if seen[k.ID] {
			return fmt.Errorf("%s: key id %q twice", stage, k.ID)
		}
		seen[k.ID] = true
		if !valid(len(k.Secret)) {
			return fmt.Errorf("%s: key %q has %d bytes, want %s", stage, k.ID, len(k.Secret), want)
		}
	}
	return nil
}

// signStage appends an HMAC-SHA256 of the record header and its input.
type signStage struct {
	keys []Key
	macs []sync.Pool // per key: hash.Hash for HMAC-SHA256 with that key
	cerr error
}

// MinSignKeySize is the smallest secret Sign accepts, in bytes.
const MinSignKeySize = 32

// Sign returns a stage that authenticates records with HMAC-SHA256. It
// appends a 32-byte MAC of the record header and the stage's input, so a
// change to any byte of the record (header included) is detected. Records
// are signed with the first key; reads accept any of the keys, chosen by
// the key id in the header. A record naming an unknown key or with a wrong
// MAC is an invalid record. Each secret must have at least 32 bytes.
func Sign(keys ...Key) Stage {
	s := &signStage{keys: cloneKeys(keys)}
	s.cerr = checkKeys("hmac-sha256", s.keys, func(n int) bool { return n >= MinSignKeySize }, "32 or more")
	s.macs = make([]sync.Pool, len(s.keys))
	for i := range s.macs {
		secret := s.keys[i].Secret
		s.macs[i].New = func() any { return hmac.New(sha256.New, secret) }
	}
	return s
}

func cloneKeys(keys []Key) []Key {
	out := make([]Key, len(keys))
	for i, k := range keys {
		out[i] = Key{ID: k.ID, Secret: append([]byte(nil), k.Secret...)}
	}
	return out
}

func (s *signStage) kind() stageKind { return kindHMAC }
func (s *signStage) err() error      { return s.cerr }
func (s *signStage) keyID() string   { return s.keys[0].ID }

func (s *signStage) hasKey(id []byte) bool { return s.key(id) >= 0 }

// key returns the index of the key with id, or -1.
func (s *signStage) key(id []byte) int {
	for i, k := range s.keys {
		if k.ID == string(id) {
			return i
		}
	}
	return -1
}

// appendMAC appends HMAC-SHA256(key i, header ‖ payload) to dst.
func (s *signStage) appendMAC(dst []byte, i int, header, payload []byte) []byte {
	h := s.macs[i].Get().(hash.Hash)
	h.Reset()
	h.Write(header)
	h.Write(payload)
	dst = h.Sum(dst)
	s.macs[i].Put(h)
	return dst
}

func (s *signStage) encode(dst, src []byte, env writeEnv) ([]byte, error) {
	dst = append(dst, src...)
	return s.appendMAC(dst, 0, env.header, src), nil
}

var errBadMAC = errors.New("MAC mismatch (tampered with or signed by another key)")

func (s *signStage) decode(src []byte, env readEnv) ([]byte, error) {
	key := s.key(env.keyID)
	if key < 0 {
		return nil, fmt.Errorf("unknown key id %q", env.keyID)
	}
	if len(src) < sha256.Size {
		return nil, errors.New("shorter than a MAC")
	}
	payload, sum := src[:len(src)-sha256.Size], src[len(src)-sha256.Size:]
	var buf [sha256.Size]byte
	if subtle.ConstantTimeCompare(sum, s.appendMAC(buf[:0], key, env.header, payload)) != 1 {
		return nil, errBadMAC
	}
	return payload, nil
}

func init() {
	testhook.SetNonceSource = func(s any, r io.Reader) { s.(*encryptStage).nonces = r }
}

// encryptStage seals its input with AES-256-GCM.
type encryptStage struct {
	ids   []string
	aeads []cipher.AEAD
	cerr  error
	// nonces is the source of nonces; crypto/rand.Reader unless a test sets
	// a deterministic one (for golden records).
	nonces io.Reader
}

// Encrypt returns a stage that encrypts records with AES-256-GCM. Each
// record gets a random 96-bit nonce, written before the ciphertext; the
// record header (which names the key id) is bound as additional
// authenticated data, so neither can be changed without detection. Records
// are encrypted with the first key; reads accept any of the keys, chosen by
// the key id in the header. A record naming an unknown key, or that does
// not authenticate, is an invalid record. Each secret must have exactly 32
// bytes.
//
// Random nonces keep the chance of a repeat below 2^-32 for up to 2^32
// records per key: rotate keys well before that.
func Encrypt(keys ...Key) Stage {
	s := &encryptStage{nonces: rand.Reader}
	keys = cloneKeys(keys)
	if s.cerr = checkKeys("aes-256-gcm", keys, func(n int) bool { return n == 32 }, "32"); s.cerr != nil {
		return s
	}
	for _, k := range keys {
		block, err := aes.NewCipher(k.Secret)
		if err != nil {
			s.cerr = fmt.Errorf("aes-256-gcm: key %q: %w", k.ID, err)
			return s
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			s.cerr = fmt.Errorf("aes-256-gcm: key %q: %w", k.ID, err)
			return s
		}
		s.ids = append(s.ids, k.ID)
		s.aeads = append(s.aeads, aead)
	}
	return s
}

func (s *encryptStage) kind() stageKind { return kindAESGCM }
func (s *encryptStage) err() error      { return s.cerr }
func (s *encryptStage) keyID() string   { return s.ids[0] }

func (s *encryptStage) hasKey(id []byte) bool { return s.aead(id) != nil }

func (s *encryptStage) aead(id []byte) cipher.AEAD {
	for i, k := range s.ids {
		if k == string(id) {
			return s.aeads[i]
		}
	}
	return nil
}

const gcmNonceSize = 12

func (s *encryptStage) encode(dst, src []byte, env writeEnv) ([]byte, error) {
	mark := len(dst)
	dst = append(dst, make([]byte, gcmNonceSize)...)
	nonce := dst[mark:]
	if _, err := io.ReadFull(s.nonces, nonce); err != nil {
		return nil, fmt.Errorf("aes-256-gcm: nonce: %w", err)
	}
	return s.aeads[0].Seal(dst, nonce, src, env.header), nil
}

func (s *encryptStage) decode(src []byte, env readEnv) ([]byte, error) {
	aead := s.aead(env.keyID)
	if aead == nil {
		return nil, fmt.Errorf("unknown key id %q", env.keyID)
	}
	if len(src) < gcmNonceSize+aead.Overhead() {
		return nil, errors.New("shorter than a nonce and a tag")
	}
	out, err := aead.Open(nil, src[:gcmNonceSize], src[gcmNonceSize:], env.header)
	if err != nil {
		return nil, fmt.Errorf("aes-256-gcm: %w", err)
	}
	return out, nil
}
