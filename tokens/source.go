package tokens

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/sync/singleflight"
)

// DefaultExpirySkew is how long before its expiry a token counts as
// expired when Options.ExpirySkew is zero: 60 seconds, as spotipy does
// (oauth2 uses 10). The larger margin lets a token be shared by processes
// and machines whose clocks differ by some seconds, and leaves a request
// that starts just before the expiry time to finish; with tokens that live
// an hour it costs one refresh a minute early.
const DefaultExpirySkew = 60 * time.Second

// unlockTimeout bounds the release of a cross-process lock, which runs
// even when the caller's context has ended.
const unlockTimeout = 10 * time.Second

// Options configure New. A nil *Options means the zero value.
type Options struct {
	// Scopes are the scopes the caller needs. A stored token is used only
	// when its scope (the space-separated scope field) includes every one
	// of them, as spotipy checks; otherwise the Fetcher is called with a
	// nil cached token to obtain a new one. Empty means any token will do.
	Scopes []string
	// ExpirySkew is how long before its expiry a token counts as expired.
	// Zero means DefaultExpirySkew (60 s); a negative value means none. A
	// token that lives less than the skew is fetched anew on every call:
	// lower the skew for such servers.
	ExpirySkew time.Duration
	// Locker serialises refreshes across processes. Nil means the store's
	// own when the store is a Locker (FileStore is), else none: refreshes
	// are then serialised within this process only.
	Locker Locker
	// Clock returns the current time, for expiry decisions. Nil means
	// time.Now. Tests inject one to expire tokens without waiting.
	Clock func() time.Time
	// Logger receives the failures a TokenSource works around (a store
	// that cannot be read or written, an unreadable token, a lock that
	// cannot be taken), never a token. Nil means they are not logged.
	Logger *slog.Logger
}

// TokenSource is an oauth2.TokenSource that caches tokens in a Store. A
// token is served from memory, then from the store, while it is valid (by
// Options.Clock and Options.ExpirySkew) and covers Options.Scopes;
// otherwise it is fetched with the Fetcher, saved, and served.
//
// Refreshes are shared: concurrent callers of one TokenSource wait for one
// fetch; TokenSources of this process with the same key fetch one at a
// time; with a Locker, so do processes. After each lock is taken the store
// is read again, so a waiter uses the token the previous holder saved
// instead of fetching another. The store is never worse than no store: a
// failure to read or write it is logged and the token is fetched (or
// served) anyway.
//
// A TokenSource is safe for concurrent use.
type TokenSource struct {
	store  Store
	key    string
	fetch  Fetcher
	scopes []string
	skew   time.Duration
	locker Locker
	now    func() time.Time
	log    *slog.Logger

	flight singleflight.Group

	mu   sync.Mutex
	last *oauth2.Token // the last token served; its scope covers scopes
}

var _ oauth2.TokenSource = (*TokenSource)(nil)

// New returns a TokenSource that caches the token of key in store and
// obtains new ones with fetch. For the authorisation code flow fetch is
// typically a *Refresher over the client's oauth2.Config; for client
// credentials, a FetcherFunc calling clientcredentials.Config.Token.
//
// To make an HTTP client that sends the tokens, use
// oauth2.NewClient(ctx, ts).
func New(store Store, key string, fetch Fetcher, opts *Options) (*TokenSource, error) {
	if store == nil {
		return nil, errors.New("tokens: new: nil store")
	}
	if fetch == nil {
		return nil, errors.New("tokens: new: nil fetcher")
	}
	if opts == nil {
		opts = &Options{}
	}
	s := &TokenSource{
		store:  store,
		key:    key,
		fetch:  fetch,
		scopes: strings.Fields(strings.Join(opts.Scopes, " ")),
		skew:   opts.ExpirySkew,
		locker: opts.Locker,
		now:    opts.Clock,
		log:    opts.Logger,
	}
	if s.skew == 0 {
		s.skew = DefaultExpirySkew
	}
	s.skew = max(s.skew, 0)
	if s.locker == nil {
		s.locker, _ = store.(Locker)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	return s, nil
}

// Token returns a valid token: TokenContext with context.Background().
// It implements oauth2.TokenSource.
func (s *TokenSource) Token() (*oauth2.Token, error) {
	return s.TokenContext(context.Background())
}

// TokenContext returns a valid token, from memory, the store or the
// Fetcher, which it calls with ctx. The caller owns the returned token.
// Errors name the key and wrap the Fetcher's error; a caller whose ctx
// ends stops waiting at once (a fetch it shares with other callers goes on
// for them).
func (s *TokenSource) TokenContext(ctx context.Context) (*oauth2.Token, error) {
	if tok := s.remembered(); tok != nil {
		return tok, nil
	}
	for attempt := 0; ; attempt++ {
		ch := s.flight.DoChan("", func() (any, error) { return s.obtain(ctx) })
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("tokens: token %q: %w", s.key, ctx.Err())
		case r := <-ch:
			if r.Err == nil {
				return copyToken(r.Val.(*oauth2.Token)), nil
			}
			// A shared fetch failed because the caller that started it
			// went away: try again under our own context.
			if r.Shared && ctx.Err() == nil && attempt < 3 &&
				(errors.Is(r.Err, context.Canceled) || errors.Is(r.Err, context.DeadlineExceeded)) {
				continue
			}
			return nil, r.Err
		}
	}
}

// remembered returns a copy of the last token served while it is valid.
func (s *TokenSource) remembered() *oauth2.Token {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.last != nil && s.valid(s.last, s.now()) {
		return copyToken(s.last)
	}
	return nil
}

func (s *TokenSource) remember(tok *oauth2.Token) *oauth2.Token {
	s.mu.Lock()
	s.last = tok
	s.mu.Unlock()
	return tok
}

// valid reports whether tok has an access token that is not expired at
// now, counting the skew.
func (s *TokenSource) valid(tok *oauth2.Token, now time.Time) bool {
	return tok.AccessToken != "" && (tok.Expiry.IsZero() || now.Add(s.skew).Before(tok.Expiry))
}

// covers reports whether tok's scope includes every requested scope
// (spotipy's _is_scope_subset).
func (s *TokenSource) covers(tok *oauth2.Token) bool {
	if len(s.scopes) == 0 {
		return true
	}
	granted := strings.Fields(scopeOf(tok))
	for _, want := range s.scopes {
		found := false
		for _, g := range granted {
			if g == want {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// obtain is one shared fetch: the store, then under the locks the store
// again and the Fetcher.
func (s *TokenSource) obtain(ctx context.Context) (*oauth2.Token, error) {
	stored := s.load(ctx)
	if stored != nil && s.valid(stored, s.now()) {
		return s.remember(stored), nil
	}

	unlock, err := processLocks.lock(ctx, s.key)
	if err != nil {
		return nil, fmt.Errorf("tokens: token %q: wait for a refresh in this process: %w", s.key, err)
	}
	defer unlock()
	if s.locker != nil {
		release, err := s.locker.Lock(ctx, s.key)
		switch {
		case err == nil:
			defer func() {
				// Released even when ctx has ended: a flock would
				// otherwise stay held until the process exits.
				uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), unlockTimeout)
				defer cancel()
				if err := release(uctx); err != nil {
					s.log.Warn("tokens: cross-process unlock", "key", s.key, "err", err)
				}
			}()
		case ctx.Err() != nil:
			return nil, fmt.Errorf("tokens: token %q: lock: %w", s.key, ctx.Err())
		default:
			// Never worse than no lock: the refresh goes on, perhaps
			// alongside another process's.
			s.log.Warn("tokens: cross-process lock not taken; refreshing without it", "key", s.key, "err", err)
		}
	}

	// Another goroutine or process may have refreshed while we waited.
	if again := s.load(ctx); again != nil {
		stored = again
		if s.valid(stored, s.now()) {
			return s.remember(stored), nil
		}
	}
	cached := stored
	if cached == nil {
		s.mu.Lock()
		cached = s.last // the store failed or lost it: refresh what we had
		s.mu.Unlock()
	}
	started := s.now()
	var arg *oauth2.Token
	if cached != nil {
		arg = copyToken(cached)
	}
	fresh, err := s.fetch.Fetch(ctx, arg)
	if err != nil {
		return nil, fmt.Errorf("tokens: token %q: fetch: %w", s.key, err)
	}
	if fresh == nil || fresh.AccessToken == "" {
		return nil, fmt.Errorf("tokens: token %q: fetch: %w", s.key, ErrNoAccessToken)
	}
	tok := s.complete(fresh, cached, started)
	if !s.covers(tok) {
		s.log.Warn("tokens: the token endpoint granted fewer scopes than requested; the stored token will not be reused",
			"key", s.key, "granted", scopeOf(tok), "requested", strings.Join(s.scopes, " "))
	}
	if err := s.store.Save(ctx, s.key, tok); err != nil {
		s.log.Warn("tokens: token not saved", "key", s.key, "err", err)
	}
	return s.remember(tok), nil
}

// load returns the stored token when it covers the scopes, or nil: on a
// miss, a token for other scopes, or a store error (logged).
func (s *TokenSource) load(ctx context.Context) *oauth2.Token {
	tok, err := s.store.Load(ctx, s.key)
	switch {
	case errors.Is(err, ErrNotFound):
		return nil
	case errors.Is(err, ErrUndecodable):
		s.log.Warn("tokens: stored token unreadable; fetching a new one", "key", s.key, "err", err)
		return nil
	case err != nil:
		if ctx.Err() == nil {
			s.log.Warn("tokens: store load failed", "key", s.key, "err", err)
		}
		return nil
	case tok == nil || !s.covers(tok):
		return nil
	}
	return tok
}

// complete fills in what a fetched token may leave out. Its expiry is
// recomputed from expires_in on our clock (oauth2 uses time.Now). A
// refresh response may omit the refresh token and the scope, which then
// stay those of the token refreshed (RFC 6749 section 6); a new token
// without a scope was granted the requested ones (section 5.1).
func (s *TokenSource) complete(fresh, cached *oauth2.Token, started time.Time) *oauth2.Token {
	tok := copyToken(fresh)
	if tok.ExpiresIn > 0 {
		tok.Expiry = started.Add(time.Duration(tok.ExpiresIn) * time.Second)
	}
	if tok.RefreshToken == "" && cached != nil {
		tok.RefreshToken = cached.RefreshToken
	}
	if scopeOf(tok) != "" {
		return tok
	}
	scope := strings.Join(s.scopes, " ")
	if cached != nil {
		scope = scopeOf(cached)
	}
	if scope == "" {
		return tok
	}
	extra := extrasOf(tok)
	extra[fieldScope] = scope
	names := make([]string, 0, len(extra))
	for name := range extra {
		if name != fieldScope {
			names = append(names, name)
		}
	}
	if len(names) > 0 {
		extra[extraNamesKey] = names
	}
	return tok.WithExtra(extra)
}

func copyToken(t *oauth2.Token) *oauth2.Token {
	c := *t
	return &c
}
