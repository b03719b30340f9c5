package tokens

import "errors"

// Errors returned by stores, token sources and fetchers. Match them with
// errors.Is; the errors returned wrap them with the operation and the key.
var (
	// ErrNotFound means the store holds no token under the key. Errors of
	// a BackendStore also match backends.ErrNotFound.
	ErrNotFound = errors.New("tokens: no token stored")

	// ErrUndecodable means a stored value is not a token this store can
	// read: not spotipy's JSON, encrypted with a key the store does not
	// hold, in clear while the store encrypts (or the reverse), or
	// tampered with. A TokenSource treats it as a miss: it fetches a new
	// token and overwrites the value. The error says why, never what the
	// value holds.
	ErrUndecodable = errors.New("tokens: stored token cannot be read")

	// ErrInvalidKey means a FileStore cannot map the key to a file name
	// (a path separator, a NUL byte, "." or "..").
	ErrInvalidKey = errors.New("tokens: key cannot name a file")

	// ErrNoToken means a Refresher had no token to refresh (none stored,
	// or its scopes do not cover the requested ones, or no refresh token)
	// and no Login function to obtain one.
	ErrNoToken = errors.New("tokens: no token to refresh and no Login to obtain one")

	// ErrNoAccessToken means a Fetcher returned a nil token or one without
	// an access token.
	ErrNoAccessToken = errors.New("tokens: fetcher returned no access token")

	// ErrLockLost means a cross-process lock expired (its lease ran out)
	// before its holder released it: another process may have taken it
	// meanwhile. Unlock functions return it; a TokenSource logs it.
	ErrLockLost = errors.New("tokens: lock lease expired before release")
)
