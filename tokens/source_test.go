package tokens_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/cachedhttp/cachedhttp/backends/memory"
	"github.com/cachedhttp/cachedhttp/tokens"
)

// memoryStore returns a BackendStore over a fresh memory backend.
func memoryStore(t *testing.T) *tokens.BackendStore {
	t.Helper()
	b := memory.New(memory.Options{})
	t.Cleanup(func() { _ = b.Close() })
	s, err := tokens.NewBackendStore(b, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func newSource(t *testing.T, store tokens.Store, key string, fetch tokens.Fetcher, opts *tokens.Options) *tokens.TokenSource {
	t.Helper()
	ts, err := tokens.New(store, key, fetch, opts)
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

// seedExpired saves an expired token whose refresh token srv accepts.
func seedExpired(t *testing.T, srv *tokenServer, store tokens.Store, key, scope string) {
	t.Helper()
	srv.allowRefresh("seed-refresh")
	if err := store.Save(t.Context(), key, token("seed-access", "seed-refresh", time.Now().Add(-time.Hour), scope)); err != nil {
		t.Fatal(err)
	}
}

// 100 concurrent callers whose stored token has expired make one refresh
// request, and all get its token.
func TestConcurrentCallersShareOneRefresh(t *testing.T) {
	srv := newTokenServer(t)
	store := memoryStore(t)
	seedExpired(t, srv, store, "k", "")
	ts := newSource(t, store, "k", &tokens.Refresher{Config: srv.config()}, nil)

	var wg sync.WaitGroup
	got := make([]string, 100)
	errs := make([]error, 100)
	start := make(chan struct{})
	for i := range got {
		wg.Go(func() {
			<-start
			tok, err := ts.Token()
			errs[i] = err
			if err == nil {
				got[i] = tok.AccessToken
			}
		})
	}
	close(start)
	wg.Wait()
	for i := range got {
		if errs[i] != nil || got[i] != "access-1" {
			t.Fatalf("caller %d: %q, %v", i, got[i], errs[i])
		}
	}
	if n := srv.requests.Load(); n != 1 {
		t.Fatalf("token endpoint saw %d requests, want 1", n)
	}
	stored, err := store.Load(t.Context(), "k")
	if err != nil || stored.AccessToken != "access-1" || stored.RefreshToken != "refresh-1" {
		t.Fatalf("stored %v, %v", stored, err)
	}
}

// Several TokenSources of one process on one store and key (several
// clients built from one configuration) also refresh once: they take turns
// and each reads the store again when its turn comes.
func TestSourcesOfOneProcessShareOneRefresh(t *testing.T) {
	srv := newTokenServer(t)
	store := memoryStore(t)
	key := "shared-" + uniq()
	seedExpired(t, srv, store, key, "")
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for range 4 {
		ts := newSource(t, store, key, &tokens.Refresher{Config: srv.config()}, nil)
		for range 10 {
			wg.Go(func() {
				tok, err := ts.Token()
				if err == nil && tok.AccessToken != "access-1" {
					err = fmt.Errorf("got %q", tok.AccessToken)
				}
				errs <- err
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := srv.requests.Load(); n != 1 {
		t.Fatalf("token endpoint saw %d requests, want 1", n)
	}
}

// A valid token is served from memory and the store; once the injected
// clock passes its expiry minus the skew, one refresh replaces it, with the
// refresh token that was stored.
func TestRefreshAfterExpiry(t *testing.T) {
	srv := newTokenServer(t)
	store := memoryStore(t)
	clk := newClock()
	srv.allowRefresh("r0")
	if err := store.Save(t.Context(), "k", token("a0", "r0", clk.Now().Add(time.Hour), "")); err != nil {
		t.Fatal(err)
	}
	ts := newSource(t, store, "k", &tokens.Refresher{Config: srv.config()}, &tokens.Options{Clock: clk.Now})
	for range 3 {
		if tok, err := ts.Token(); err != nil || tok.AccessToken != "a0" {
			t.Fatalf("before expiry: %v, %v", tok, err)
		}
	}
	clk.Advance(time.Hour - tokens.DefaultExpirySkew - time.Second) // 61 s left: valid
	if tok, err := ts.Token(); err != nil || tok.AccessToken != "a0" || srv.requests.Load() != 0 {
		t.Fatalf("61 s before expiry: %v, %v, %d requests", tok, err, srv.requests.Load())
	}
	clk.Advance(2 * time.Second) // 59 s left: within the skew
	tok, err := ts.Token()
	if err != nil || tok.AccessToken != "access-1" || srv.grants("refresh_token") != 1 {
		t.Fatalf("59 s before expiry: %v, %v, %d refreshes", tok, err, srv.grants("refresh_token"))
	}
	// The new expiry is on our clock: expires_in after the fetch started.
	if want := clk.Now().Add(3600 * time.Second); !tok.Expiry.Equal(want) {
		t.Fatalf("expiry %v, want %v", tok.Expiry, want)
	}
	if tok.Extra("id_token") != "id-1" {
		t.Fatalf("id_token extra lost: %v", tok.Extra("id_token"))
	}
	for range 3 {
		if tok, err := ts.Token(); err != nil || tok.AccessToken != "access-1" {
			t.Fatalf("after refresh: %v, %v", tok, err)
		}
	}
	if n := srv.requests.Load(); n != 1 {
		t.Fatalf("%d requests, want 1", n)
	}
	stored, err := store.Load(t.Context(), "k")
	if err != nil || stored.AccessToken != "access-1" || stored.RefreshToken != "refresh-1" || stored.Extra("id_token") != "id-1" {
		t.Fatalf("stored %+v, %v", stored, err)
	}
	// A new TokenSource (a new process) uses the stored token.
	again := newSource(t, store, "k", &tokens.Refresher{Config: srv.config()}, &tokens.Options{Clock: clk.Now})
	if tok, err := again.Token(); err != nil || tok.AccessToken != "access-1" || srv.requests.Load() != 1 {
		t.Fatalf("new source: %v, %v", tok, err)
	}
	clk.Advance(2 * time.Hour)
	if tok, err := again.Token(); err != nil || tok.AccessToken != "access-2" {
		t.Fatalf("second refresh: %v, %v", tok, err)
	}
}

func TestExpirySkewOption(t *testing.T) {
	srv := newTokenServer(t)
	clk := newClock()
	cases := []struct {
		skew    time.Duration
		left    time.Duration
		refresh bool
	}{
		{0, 61 * time.Second, false},
		{0, 59 * time.Second, true},
		{10 * time.Second, 11 * time.Second, false},
		{10 * time.Second, 9 * time.Second, true},
		{-1, time.Second, false},
		{-1, 0, true},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("skew %v, %v left", c.skew, c.left), func(t *testing.T) {
			store := memoryStore(t)
			srv.allowRefresh("r")
			if err := store.Save(t.Context(), "k", token("old", "r", clk.Now().Add(c.left), "")); err != nil {
				t.Fatal(err)
			}
			ts := newSource(t, store, "k", &tokens.Refresher{Config: srv.config()}, &tokens.Options{Clock: clk.Now, ExpirySkew: c.skew})
			tok, err := ts.Token()
			if err != nil {
				t.Fatal(err)
			}
			if refreshed := tok.AccessToken != "old"; refreshed != c.refresh {
				t.Fatalf("refreshed = %v, want %v", refreshed, c.refresh)
			}
		})
	}
}

// A stored token whose scopes do not cover the requested ones is not used,
// not even to refresh: the Fetcher gets no cached token (spotipy asks for a
// new authorisation). One that covers them, in any order, is used.
func TestScopes(t *testing.T) {
	srv := newTokenServer(t)
	clk := newClock()
	cases := []struct {
		stored, requested string
		used              bool
	}{
		{"a b c", "b a", true},
		{"a b", "", true},
		{"", "", true},
		{"a", "a b", false},
		{"", "a", false},
		{"ab", "a", false},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("stored %q requested %q", c.stored, c.requested), func(t *testing.T) {
			store := memoryStore(t)
			if err := store.Save(t.Context(), "k", token("stored", "stored-refresh", clk.Now().Add(time.Hour), c.stored)); err != nil {
				t.Fatal(err)
			}
			var logins atomic.Int64
			fetch := &tokens.Refresher{Config: srv.config(), Login: func(ctx context.Context) (*oauth2.Token, error) {
				logins.Add(1)
				return srv.config().PasswordCredentialsToken(ctx, "user", "pass")
			}}
			ts := newSource(t, store, "k", fetch, &tokens.Options{Clock: clk.Now, Scopes: strings.Fields(c.requested)})
			tok, err := ts.Token()
			if err != nil {
				t.Fatal(err)
			}
			if used := tok.AccessToken == "stored"; used != c.used {
				t.Fatalf("stored token used = %v, want %v", used, c.used)
			}
			if !c.used {
				if logins.Load() != 1 || srv.grants("refresh_token") != 0 {
					t.Fatalf("%d logins, %d refreshes; want a login and no refresh", logins.Load(), srv.grants("refresh_token"))
				}
				// The new token was granted the requested scopes (the
				// response has no scope field), and is what is stored now.
				stored, err := store.Load(t.Context(), "k")
				if err != nil || stored.AccessToken != tok.AccessToken || stored.Extra("scope") != c.requested {
					t.Fatalf("stored %v scope %v, %v", stored, stored.Extra("scope"), err)
				}
			}
		})
	}
}

// Without a Login, a scope mismatch is ErrNoToken.
func TestScopeMismatchWithoutLogin(t *testing.T) {
	srv := newTokenServer(t)
	store := memoryStore(t)
	if err := store.Save(t.Context(), "k", token("stored", "r", time.Now().Add(time.Hour), "a")); err != nil {
		t.Fatal(err)
	}
	ts := newSource(t, store, "k", &tokens.Refresher{Config: srv.config()}, &tokens.Options{Scopes: []string{"b"}})
	if _, err := ts.Token(); !errors.Is(err, tokens.ErrNoToken) {
		t.Fatalf("Token: %v, want ErrNoToken", err)
	}
	if srv.requests.Load() != 0 {
		t.Fatalf("%d requests", srv.requests.Load())
	}
}

// A refresh response without scope or refresh token keeps those of the
// token refreshed (RFC 6749 section 6).
func TestRefreshKeepsScopeAndRefreshToken(t *testing.T) {
	srv := newTokenServer(t)
	srv.keepRefresh = true
	store := memoryStore(t)
	seedExpired(t, srv, store, "k", "user-read-private playlist-read")
	ts := newSource(t, store, "k", &tokens.Refresher{Config: srv.config()}, &tokens.Options{Scopes: []string{"playlist-read"}})
	tok, err := ts.Token()
	if err != nil {
		t.Fatal(err)
	}
	stored, err := store.Load(t.Context(), "k")
	if err != nil {
		t.Fatal(err)
	}
	for _, got := range []*oauth2.Token{tok, stored} {
		if got.AccessToken != "access-1" || got.RefreshToken != "seed-refresh" ||
			got.Extra("scope") != "user-read-private playlist-read" || got.Extra("id_token") != "id-1" {
			t.Fatalf("token %+v scope %v id %v", got, got.Extra("scope"), got.Extra("id_token"))
		}
	}
}

// A scope the server returns is what is stored.
func TestServerScopeIsStored(t *testing.T) {
	srv := newTokenServer(t)
	srv.scope = "a b extra"
	store := memoryStore(t)
	seedExpired(t, srv, store, "k", "a b")
	ts := newSource(t, store, "k", &tokens.Refresher{Config: srv.config()}, &tokens.Options{Scopes: []string{"a"}})
	if _, err := ts.Token(); err != nil {
		t.Fatal(err)
	}
	if stored, err := store.Load(t.Context(), "k"); err != nil || stored.Extra("scope") != "a b extra" {
		t.Fatalf("stored scope %v, %v", stored.Extra("scope"), err)
	}
}

// A refused refresh token (invalid_grant) leads to Login when there is one,
// and is the error otherwise; the error never holds a token.
func TestRefusedRefreshToken(t *testing.T) {
	srv := newTokenServer(t)
	store := memoryStore(t)
	if err := store.Save(t.Context(), "k", token("SECRET-access", "SECRET-revoked", time.Now().Add(-time.Hour), "")); err != nil {
		t.Fatal(err)
	}
	ts := newSource(t, store, "k", &tokens.Refresher{Config: srv.config()}, nil)
	_, err := ts.Token()
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
		t.Fatalf("Token: %v, want a RetrieveError invalid_grant", err)
	}
	if strings.Contains(err.Error(), "SECRET") || !strings.Contains(err.Error(), `"k"`) {
		t.Fatalf("error %q: holds a token or misses the key", err)
	}

	ts = newSource(t, store, "k", &tokens.Refresher{Config: srv.config(), Login: func(ctx context.Context) (*oauth2.Token, error) {
		return srv.config().PasswordCredentialsToken(ctx, "u", "p")
	}}, nil)
	tok, err := ts.Token()
	if err != nil || tok.AccessToken != "access-1" {
		t.Fatalf("with Login: %v, %v", tok, err)
	}
	if srv.grants("refresh_token") != 2 || srv.grants("password") != 1 {
		t.Fatalf("grants %v", srv.byGrant)
	}
}

// A value the store cannot read is a miss: a new token is fetched and
// overwrites it, and the log says so without the token.
func TestUnreadableStoredTokenIsAMiss(t *testing.T) {
	srv := newTokenServer(t)
	b := memory.New(memory.Options{})
	if err := b.Set(t.Context(), "k", []byte(`{"access_token": "SECRET", "expires_at": "garbage"}`), 0); err != nil {
		t.Fatal(err)
	}
	store, err := tokens.NewBackendStore(b, nil)
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	ts := newSource(t, store, "k", tokens.FetcherFunc(func(ctx context.Context, cached *oauth2.Token) (*oauth2.Token, error) {
		if cached != nil {
			return nil, errors.New("got a cached token from an unreadable value")
		}
		return srv.config().PasswordCredentialsToken(ctx, "u", "p")
	}), &tokens.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	tok, err := ts.Token()
	if err != nil || tok.AccessToken != "access-1" {
		t.Fatalf("Token: %v, %v", tok, err)
	}
	if stored, err := store.Load(t.Context(), "k"); err != nil || stored.AccessToken != "access-1" {
		t.Fatalf("not overwritten: %v, %v", stored, err)
	}
	if !strings.Contains(logs.String(), "unreadable") || strings.Contains(logs.String(), "SECRET") ||
		strings.Contains(logs.String(), "access-1") || strings.Contains(logs.String(), "refresh-1") {
		t.Fatalf("log: %s", logs.String())
	}
}

// A store that fails is never worse than no store: the token is fetched and
// served, and the failures are logged.
func TestFailingStoreStillServes(t *testing.T) {
	srv := newTokenServer(t)
	b := memory.New(memory.Options{})
	_ = b.Close() // every call now fails with backends.ErrClosed
	store, err := tokens.NewBackendStore(b, nil)
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	clk := newClock()
	ts := newSource(t, store, "k", &tokens.Refresher{Config: srv.config(), Login: func(ctx context.Context) (*oauth2.Token, error) {
		return srv.config().PasswordCredentialsToken(ctx, "u", "p")
	}}, &tokens.Options{Clock: clk.Now, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	tok, err := ts.Token()
	if err != nil || tok.AccessToken != "access-1" {
		t.Fatalf("Token: %v, %v", tok, err)
	}
	if tok, err := ts.Token(); err != nil || tok.AccessToken != "access-1" || srv.requests.Load() != 1 {
		t.Fatalf("second call: %v, %v (served from memory)", tok, err)
	}
	// Expired: refreshed with the refresh token held in memory.
	clk.Advance(2 * time.Hour)
	if tok, err := ts.Token(); err != nil || tok.AccessToken != "access-2" || srv.grants("refresh_token") != 1 {
		t.Fatalf("after expiry: %v, %v, grants %v", tok, err, srv.byGrant)
	}
	if !strings.Contains(logs.String(), "not saved") || strings.Contains(logs.String(), "access-") {
		t.Fatalf("log: %s", logs.String())
	}
}

// A caller whose context ends stops waiting; the others sharing its fetch
// get a token.
func TestCallerCancellation(t *testing.T) {
	srv := newTokenServer(t)
	srv.gate = make(chan struct{})
	srv.entered = make(chan struct{}, 4)
	store := memoryStore(t)
	seedExpired(t, srv, store, "k", "")
	ts := newSource(t, store, "k", &tokens.Refresher{Config: srv.config()}, nil)

	ctx, cancel := context.WithCancel(t.Context())
	first := make(chan error, 1)
	go func() {
		_, err := ts.TokenContext(ctx)
		first <- err
	}()
	<-srv.entered // the first caller's refresh is at the endpoint
	second := make(chan error, 1)
	go func() {
		tok, err := ts.TokenContext(t.Context())
		if err == nil && !strings.HasPrefix(tok.AccessToken, "access-") {
			err = fmt.Errorf("got %q", tok.AccessToken)
		}
		second <- err
	}()
	cancel()
	if err := <-first; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled caller: %v", err)
	}
	close(srv.gate)
	if err := <-second; err != nil {
		t.Fatalf("other caller: %v", err)
	}
}

func TestFetcherErrors(t *testing.T) {
	store := memoryStore(t)
	boom := errors.New("boom")
	for name, c := range map[string]struct {
		fetch tokens.FetcherFunc
		want  error
	}{
		"error":           {func(context.Context, *oauth2.Token) (*oauth2.Token, error) { return nil, boom }, boom},
		"nil token":       {func(context.Context, *oauth2.Token) (*oauth2.Token, error) { return nil, nil }, tokens.ErrNoAccessToken},
		"no access token": {func(context.Context, *oauth2.Token) (*oauth2.Token, error) { return &oauth2.Token{}, nil }, tokens.ErrNoAccessToken},
	} {
		t.Run(name, func(t *testing.T) {
			ts := newSource(t, store, "k-"+name, c.fetch, nil)
			if _, err := ts.Token(); !errors.Is(err, c.want) {
				t.Fatalf("Token: %v, want %v", err, c.want)
			}
		})
	}
	if _, err := tokens.New(nil, "k", tokens.FetcherFunc(nil), nil); err == nil {
		t.Error("New with a nil store: no error")
	}
	if _, err := tokens.New(store, "k", nil, nil); err == nil {
		t.Error("New with a nil fetcher: no error")
	}
}

// The returned token belongs to the caller: changing it changes nothing
// for the next caller.
func TestReturnedTokenIsACopy(t *testing.T) {
	store := memoryStore(t)
	if err := store.Save(t.Context(), "k", token("a", "", time.Now().Add(time.Hour), "")); err != nil {
		t.Fatal(err)
	}
	ts := newSource(t, store, "k", tokens.FetcherFunc(func(context.Context, *oauth2.Token) (*oauth2.Token, error) {
		return nil, errors.New("no fetch expected")
	}), nil)
	tok, err := ts.Token()
	if err != nil {
		t.Fatal(err)
	}
	tok.AccessToken = "changed"
	if tok, err := ts.Token(); err != nil || tok.AccessToken != "a" {
		t.Fatalf("second caller: %v, %v", tok, err)
	}
}

// End to end: an oauth2 client authenticates API requests with the cached
// token, and the Refresher's Client carries the token request.
func TestWithOAuth2Client(t *testing.T) {
	srv := newTokenServer(t)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, r.Header.Get("Authorization"))
	}))
	t.Cleanup(api.Close)
	store := memoryStore(t)
	seedExpired(t, srv, store, "k", "")
	var viaClient atomic.Int64
	client := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		viaClient.Add(1)
		return http.DefaultTransport.RoundTrip(r)
	})}
	ts := newSource(t, store, "k", &tokens.Refresher{Config: srv.config(), Client: client}, nil)
	hc := oauth2.NewClient(t.Context(), ts)
	for range 3 {
		resp, err := hc.Get(api.URL)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(body) != "Bearer access-1" {
			t.Fatalf("API saw %q", body)
		}
	}
	if srv.requests.Load() != 1 || viaClient.Load() != 1 {
		t.Fatalf("token requests %d, through the Refresher's client %d", srv.requests.Load(), viaClient.Load())
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// A FileStore is its own Locker: a TokenSource over it waits for the file
// lock another holder has.
func TestFileStoreLocksByDefault(t *testing.T) {
	srv := newTokenServer(t)
	dir := t.TempDir()
	store, err := tokens.NewFileStore(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	seedExpired(t, srv, store, "alice", "")
	other, err := tokens.NewFileStore(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	unlock, err := other.Lock(t.Context(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	ts := newSource(t, store, "alice", &tokens.Refresher{Config: srv.config()}, nil)
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	if _, err := ts.TokenContext(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Token while another holds the file lock: %v, want DeadlineExceeded", err)
	}
	if srv.requests.Load() != 0 {
		t.Fatalf("refreshed without the lock")
	}
	if err := unlock(t.Context()); err != nil {
		t.Fatal(err)
	}
	if tok, err := ts.Token(); err != nil || tok.AccessToken != "access-1" {
		t.Fatalf("after unlock: %v, %v", tok, err)
	}
}

// A Locker that fails (its Redis is gone) does not stop the refresh: never
// worse than no lock.
func TestFailingLockerStillRefreshes(t *testing.T) {
	srv := newTokenServer(t)
	store := memoryStore(t)
	seedExpired(t, srv, store, "k", "")
	client := newRedisClient(t)
	locker := mustRedisLocker(t, client, nil)
	_ = client.Close()
	var logs bytes.Buffer
	ts := newSource(t, store, "k", &tokens.Refresher{Config: srv.config()},
		&tokens.Options{Locker: locker, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if tok, err := ts.Token(); err != nil || tok.AccessToken != "access-1" {
		t.Fatalf("Token: %v, %v", tok, err)
	}
	if !strings.Contains(logs.String(), "lock not taken") {
		t.Fatalf("log: %s", logs.String())
	}
}
