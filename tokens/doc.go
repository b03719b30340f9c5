// Package tokens caches OAuth2 tokens (golang.org/x/oauth2) in a store, so
// that a program reuses its token across runs and processes share one,
// refreshing it once when it expires. It carries spotipy's cache handlers
// into Go, and reads and writes spotipy's token files, so a token cached by
// a Python tool serves a Go tool and back.
//
// # Nouns
//
//   - A Store keeps tokens under keys: Load, Save, Delete (spotipy's
//     CacheHandler with get_cached_token and save_token_to_cache).
//     BackendStore keeps them in any backends.Backend (bbolt, filesystem,
//     memory, Redis, memcached, DynamoDB, MongoDB); FileStore in files in
//     spotipy's format (its CacheFileHandler). Both encrypt tokens with
//     AES-256-GCM when given keys.
//   - A Fetcher obtains a new token when the store has none to use: a
//     Refresher refreshes with an oauth2.Config (and can log in again),
//     a FetcherFunc does anything else (client credentials, a device flow).
//   - A TokenSource is the oauth2.TokenSource that ties them together: it
//     serves the stored token while it is valid and covers the requested
//     scopes, and otherwise fetches, saves and serves a new one, one fetch
//     at a time per key.
//   - A Locker extends "one fetch at a time" across processes. FileStore
//     is one (flock); tokens/redislock and tokens/dynamolock lock in Redis
//     and DynamoDB. Without one, refreshes are serialised within a process
//     only.
//
// # Use
//
//	store, _ := tokens.NewFileStore(dir, nil) // .cache-alice, as spotipy names it
//	ts, _ := tokens.New(store, "alice", &tokens.Refresher{Config: cfg}, &tokens.Options{
//		Scopes: []string{"user-read-private"},
//	})
//	client := oauth2.NewClient(ctx, ts)
//
// # Choices
//
// Expiry: a token counts as expired DefaultExpirySkew (60 s, spotipy's
// margin; oauth2 uses 10 s) before its expiry, judged by Options.Clock.
// The expiry of a fetched token is recomputed on that clock from its
// expires_in.
//
// Scopes: a stored token whose scope does not include every scope in
// Options.Scopes is not used; the Fetcher is asked for a new token with no
// cached token, as spotipy asks for a new authorisation. A token fetched
// without a scope field was granted the requested scopes (RFC 6749 5.1), or
// kept those of the token it refreshed (section 6): that is what is stored.
//
// Secrets: tokens never appear in errors or logs, files are 0600 in 0700
// directories, and with StoreOptions.Keys they are encrypted at rest. A
// store with keys reads only values encrypted with one of its keys:
// anything else (a wrong key, a value in clear) is ErrUndecodable, which a
// TokenSource treats as a miss: it fetches a new token and overwrites the
// value, so a misconfigured key costs a refresh or a login, never a failed
// call.
//
// Locks: Redis (SET NX PX and a compare-and-delete script) and DynamoDB (a
// conditional write on a lock item) lock across processes and machines,
// with a lease so that a process that dies holding the lock blocks the
// others only until it expires. FileStore locks with flock(2) across the
// processes of one machine. A bbolt file can be open in one process only
// (bbolt holds a file lock while it is open; a second Open waits for
// bbolt's Options.Timeout and fails), so a bbolt store is never shared by
// two live processes and the in-process lock is all it needs; processes
// that take turns on one bbolt file, each opening it around its use, are
// serialised by that open. Memory is per process; memcached and MongoDB
// stores have no Locker here: their refreshes are serialised per process.
//
// # Sessions of web frameworks
//
// spotipy also ships cache handlers for the sessions of Django and Flask.
// Go's web frameworks have no common session type to build on: implement
// Store (three methods) over your session or database instead, and pass it
// to New.
package tokens
