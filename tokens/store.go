package tokens

import (
	"context"

	"golang.org/x/oauth2"
)

// Store keeps tokens under keys: spotipy's CacheHandler
// (get_cached_token, save_token_to_cache) with a context and a Delete.
// Implementations are safe for concurrent use. BackendStore keeps tokens
// in any backends.Backend and FileStore in spotipy's cache files; any other
// place (a web session, a database row per user, a secret manager) is one
// small type away.
type Store interface {
	// Load returns the token stored under key, whatever its expiry. It
	// returns an error matching ErrNotFound when there is none and
	// ErrUndecodable when the stored value is not a readable token.
	Load(ctx context.Context, key string) (*oauth2.Token, error)
	// Save stores tok under key, replacing any previous token. The scope
	// is read from tok.Extra("scope").
	Save(ctx context.Context, key string, tok *oauth2.Token) error
	// Delete removes the token stored under key. A missing token is not
	// an error.
	Delete(ctx context.Context, key string) error
}

// Locker serialises token refreshes across processes. A TokenSource takes
// the lock before it fetches a token and reads the store again once it
// holds it, so that of several processes whose token expired together only
// the first refreshes and the others read its token. Implementations:
// FileStore (a lock file beside the token file), redislock (SET NX PX with
// compare-and-delete) and dynamolock (a conditional write on a lock item).
type Locker interface {
	// Lock blocks until it holds the lock named key or ctx ends (the
	// error then wraps ctx's). The unlock function it returns releases
	// the lock; it returns an error matching ErrLockLost when the lock
	// had expired before it was released. Implementations bound how long
	// a lock is held (a lease), so that a process that dies holding it
	// does not block the others for ever.
	Lock(ctx context.Context, key string) (unlock func(context.Context) error, err error)
}
