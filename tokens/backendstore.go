package tokens

import (
	"context"
	"errors"
	"fmt"

	"golang.org/x/oauth2"

	"github.com/cachedhttp/cachedhttp/backends"
)

// BackendStore keeps tokens in a backends.Backend (bbolt, filesystem,
// memory, Redis, memcached, DynamoDB, MongoDB...) as spotipy's JSON,
// encrypted when StoreOptions.Keys is set. Tokens are stored without a time
// to live: an expired token still holds the refresh token that renews it.
//
// Keys share the backend's key space. Give the tokens a backend of their
// own (a Redis prefix, a bbolt file) rather than the HTTP cache's: clearing
// or purging that cache would delete them, and its inspection tools would
// list them as unreadable records.
//
// BackendStore takes no cross-process lock itself: pass
// redislock.ForBackend or dynamolock.ForBackend as Options.Locker to
// serialise refreshes between processes. A bbolt file is open in one
// process at a time (bbolt holds a file lock while it is open), so the
// in-process serialisation of TokenSource is all a bbolt store needs.
type BackendStore struct {
	backend backends.Backend
	codec   codec
}

var _ Store = (*BackendStore)(nil)

// NewBackendStore returns a Store over b, which remains the caller's to
// close. It reports invalid StoreOptions.Keys.
func NewBackendStore(b backends.Backend, opts *StoreOptions) (*BackendStore, error) {
	if b == nil {
		return nil, errors.New("tokens: new backend store: nil backend")
	}
	c, err := newCodec(opts)
	if err != nil {
		return nil, err
	}
	return &BackendStore{backend: b, codec: c}, nil
}

// Load returns the token stored under key. Errors match ErrNotFound (and
// backends.ErrNotFound) on a miss and ErrUndecodable when the value is not
// a token this store reads.
func (s *BackendStore) Load(ctx context.Context, key string) (*oauth2.Token, error) {
	data, err := s.backend.Get(ctx, key)
	if errors.Is(err, backends.ErrNotFound) {
		return nil, fmt.Errorf("tokens: load %q: %w: %w", key, ErrNotFound, err)
	}
	if err != nil {
		return nil, fmt.Errorf("tokens: load %q: %w", key, err)
	}
	tok, err := s.codec.decode(data)
	if err != nil {
		return nil, fmt.Errorf("tokens: load %q: %w", key, err)
	}
	return tok, nil
}

// Save stores tok under key without expiry.
func (s *BackendStore) Save(ctx context.Context, key string, tok *oauth2.Token) error {
	data, err := s.codec.encode(tok)
	if err != nil {
		return fmt.Errorf("tokens: save %q: %w", key, err)
	}
	if err := s.backend.Set(ctx, key, data, 0); err != nil {
		return fmt.Errorf("tokens: save %q: %w", key, err)
	}
	return nil
}

// Delete removes the token stored under key.
func (s *BackendStore) Delete(ctx context.Context, key string) error {
	if err := s.backend.Delete(ctx, key); err != nil {
		return fmt.Errorf("tokens: delete %q: %w", key, err)
	}
	return nil
}
