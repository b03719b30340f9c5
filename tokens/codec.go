package tokens

import (
	"bytes"
	"fmt"
	"time"

	"golang.org/x/oauth2"

	"github.com/cachedhttp/cachedhttp/serializers"
)

// StoreOptions configure NewBackendStore, NewFileStore and NewFileStoreAt.
// A nil *StoreOptions means the zero value: tokens stored in clear, as
// spotipy's JSON.
type StoreOptions struct {
	// Keys, when not empty, encrypt every stored token with AES-256-GCM
	// (serializers.Encrypt): tokens are written with the first key and
	// read with any key of the list, chosen by the key id the value
	// names, so keys rotate as in the HTTP cache. Each secret has exactly
	// 32 bytes. An encrypted value is a serializers bytes record
	// ("cachedhttp-bytes v1 aes-256-gcm:ID" and binary), which spotipy
	// cannot read. A store with keys reads only values encrypted with one
	// of them: a value in clear, or encrypted with another key, is
	// ErrUndecodable, never a token. Empty means tokens are stored in
	// clear.
	Keys []serializers.Key
}

// codec turns tokens into stored bytes and back: spotipy's JSON, sealed
// with the AES-GCM stage when the store has keys.
type codec struct {
	stages []serializers.Stage // nil: clear JSON
}

func newCodec(opts *StoreOptions) (codec, error) {
	if opts == nil || len(opts.Keys) == 0 {
		return codec{}, nil
	}
	stages := []serializers.Stage{serializers.Encrypt(opts.Keys...)}
	// SealBytes checks the keys (count, ids, 32-byte secrets).
	if _, err := serializers.SealBytes(nil, stages...); err != nil {
		return codec{}, fmt.Errorf("tokens: store keys: %w", err)
	}
	return codec{stages: stages}, nil
}

// bytesMagic starts every sealed value (serializers' bytes records).
var bytesMagic = []byte("cachedhttp-bytes ")

func (c codec) encode(tok *oauth2.Token) ([]byte, error) {
	if tok == nil || tok.AccessToken == "" {
		return nil, ErrNoAccessToken
	}
	data, err := encodeSpotipy(tok, time.Now())
	if err != nil {
		return nil, err
	}
	if c.stages == nil {
		return data, nil
	}
	return serializers.SealBytes(data, c.stages...)
}

// decode returns the token in data or an error matching ErrUndecodable
// that says why, never what data holds.
func (c codec) decode(data []byte) (*oauth2.Token, error) {
	sealed := bytes.HasPrefix(data, bytesMagic)
	switch {
	case c.stages == nil && sealed:
		return nil, fmt.Errorf("%w: the value is encrypted and the store has no keys", ErrUndecodable)
	case c.stages != nil && !sealed:
		return nil, fmt.Errorf("%w: the value is not encrypted and the store reads only encrypted values", ErrUndecodable)
	case sealed:
		plain, err := serializers.OpenBytes(data, c.stages...)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrUndecodable, err)
		}
		data = plain
	}
	tok, err := decodeSpotipy(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUndecodable, err)
	}
	return tok, nil
}
