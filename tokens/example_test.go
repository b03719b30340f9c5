package tokens_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/cachedhttp/cachedhttp/backends/memory"
	"github.com/cachedhttp/cachedhttp/serializers"
	"github.com/cachedhttp/cachedhttp/tokens"
)

// exampleEndpoint is a token endpoint that numbers the tokens it issues
// and counts its requests by grant type.
func exampleEndpoint() (*httptest.Server, *oauth2.Config, map[string]*atomic.Int64) {
	counts := map[string]*atomic.Int64{"authorization_code": {}, "refresh_token": {}, "client_credentials": {}}
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		counts[r.PostForm.Get("grant_type")].Add(1)
		i := n.Add(1)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":"token-%d","token_type":"Bearer","expires_in":3600,"refresh_token":"refresh-%d","scope":"user-read-private"}`, i, i)
	}))
	cfg := &oauth2.Config{
		ClientID:     "client-id",
		ClientSecret: "client-secret",
		Endpoint:     oauth2.Endpoint{TokenURL: srv.URL + "/token", AuthStyle: oauth2.AuthStyleInHeader},
		Scopes:       []string{"user-read-private"},
	}
	return srv, cfg, counts
}

// A token cache over a memory backend: the first call logs in (here an
// authorisation code exchange), the others reuse the token, and an HTTP
// client made by oauth2.NewClient sends it.
func Example() {
	endpoint, cfg, counts := exampleEndpoint()
	defer endpoint.Close()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "API saw %q", r.Header.Get("Authorization"))
	}))
	defer api.Close()

	store, err := tokens.NewBackendStore(memory.New(memory.Options{}), nil)
	if err != nil {
		panic(err)
	}
	ts, err := tokens.New(store, "alice", &tokens.Refresher{
		Config: cfg,
		Login: func(ctx context.Context) (*oauth2.Token, error) {
			// A real program sends the user to cfg.AuthCodeURL and reads
			// the code from the redirect.
			return cfg.Exchange(ctx, "code-from-the-redirect")
		},
	}, &tokens.Options{Scopes: cfg.Scopes})
	if err != nil {
		panic(err)
	}

	client := oauth2.NewClient(context.Background(), ts)
	for range 3 {
		resp, err := client.Get(api.URL)
		if err != nil {
			panic(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Println(string(body))
	}
	fmt.Println("logins:", counts["authorization_code"].Load(), "refreshes:", counts["refresh_token"].Load())
	// Output:
	// API saw "Bearer token-1"
	// API saw "Bearer token-1"
	// API saw "Bearer token-1"
	// logins: 1 refreshes: 0
}

// A Refresher renews an expired stored token with its refresh token, once,
// and the store keeps the new one for the next run.
func ExampleRefresher() {
	endpoint, cfg, counts := exampleEndpoint()
	defer endpoint.Close()
	store, _ := tokens.NewBackendStore(memory.New(memory.Options{}), nil)
	expired := (&oauth2.Token{AccessToken: "old", RefreshToken: "refresh-0", Expiry: time.Now().Add(-time.Minute)}).
		WithExtra(map[string]any{"scope": "user-read-private"})
	_ = store.Save(context.Background(), "alice", expired)

	ts, _ := tokens.New(store, "alice", &tokens.Refresher{Config: cfg}, nil)
	for range 2 {
		tok, err := ts.Token()
		if err != nil {
			panic(err)
		}
		fmt.Println(tok.AccessToken, tok.RefreshToken)
	}
	stored, _ := store.Load(context.Background(), "alice")
	fmt.Println("stored:", stored.AccessToken, "refreshes:", counts["refresh_token"].Load())
	// Output:
	// token-1 refresh-1
	// token-1 refresh-1
	// stored: token-1 refreshes: 1
}

// A FileStore writes spotipy's cache file, .cache-USERNAME, mode 0600: a
// Python program using spotipy with the same cache path reads this token.
func ExampleNewFileStore() {
	dir, _ := os.MkdirTemp("", "tokens-example")
	defer os.RemoveAll(dir)
	store, err := tokens.NewFileStore(dir, nil)
	if err != nil {
		panic(err)
	}
	tok := (&oauth2.Token{
		AccessToken: "BQD-access", TokenType: "Bearer", RefreshToken: "AQD-refresh",
		Expiry: time.Unix(1767229200, 0), ExpiresIn: 3600,
	}).WithExtra(map[string]any{"scope": "user-read-private playlist-read-private"})
	if err := store.Save(context.Background(), "alice", tok); err != nil {
		panic(err)
	}
	path, _ := store.Path("alice")
	data, _ := os.ReadFile(path)
	fi, _ := os.Stat(path)
	fmt.Println(filepath.Base(path), fi.Mode().Perm())
	fmt.Println(string(data))
	// Output:
	// .cache-alice -rw-------
	// {"access_token": "BQD-access", "token_type": "Bearer", "expires_in": 3600, "refresh_token": "AQD-refresh", "scope": "user-read-private playlist-read-private", "expires_at": 1767229200}
}

// With keys, tokens are encrypted at rest (AES-256-GCM): the stored value
// names the key and holds nothing readable.
func ExampleStoreOptions() {
	backend := memory.New(memory.Options{})
	key := serializers.Key{ID: "2026-05", Secret: bytes.Repeat([]byte{7}, 32)} // load it from a secret store
	store, err := tokens.NewBackendStore(backend, &tokens.StoreOptions{Keys: []serializers.Key{key}})
	if err != nil {
		panic(err)
	}
	_ = store.Save(context.Background(), "alice", &oauth2.Token{AccessToken: "secret-access-token"})

	raw, _ := backend.Get(context.Background(), "alice")
	header, _, _ := bytes.Cut(raw, []byte("\n"))
	fmt.Println(string(header))
	fmt.Println("readable:", bytes.Contains(raw, []byte("secret-access-token")))
	tok, _ := store.Load(context.Background(), "alice")
	fmt.Println(tok.AccessToken)
	// Output:
	// cachedhttp-bytes v1 aes-256-gcm:2026-05
	// readable: false
	// secret-access-token
}

// Client credentials have no refresh token: the Fetcher asks for a new
// token each time the cached one expires. clientcredentials.Config.Token
// always asks the server, which is what a Fetcher must do.
func ExampleFetcherFunc() {
	endpoint, cfg, counts := exampleEndpoint()
	defer endpoint.Close()
	cc := &clientcredentials.Config{ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret,
		TokenURL: cfg.Endpoint.TokenURL, AuthStyle: oauth2.AuthStyleInHeader}

	store, _ := tokens.NewBackendStore(memory.New(memory.Options{}), nil)
	ts, _ := tokens.New(store, "service", tokens.FetcherFunc(func(ctx context.Context, _ *oauth2.Token) (*oauth2.Token, error) {
		return cc.Token(ctx)
	}), nil)
	for range 2 {
		tok, _ := ts.Token()
		fmt.Println(tok.AccessToken)
	}
	fmt.Println("requests:", counts["client_credentials"].Load())
	// Output:
	// token-1
	// token-1
	// requests: 1
}

// A stored token granted fewer scopes than requested is not used: the user
// must authorise again (Login), as with spotipy.
func ExampleOptions_scopes() {
	endpoint, cfg, counts := exampleEndpoint()
	defer endpoint.Close()
	store, _ := tokens.NewBackendStore(memory.New(memory.Options{}), nil)
	narrow := (&oauth2.Token{AccessToken: "narrow", RefreshToken: "r", Expiry: time.Now().Add(time.Hour)}).
		WithExtra(map[string]any{"scope": "user-read-email"})
	_ = store.Save(context.Background(), "alice", narrow)

	ts, _ := tokens.New(store, "alice", &tokens.Refresher{Config: cfg, Login: func(ctx context.Context) (*oauth2.Token, error) {
		return cfg.Exchange(ctx, "code")
	}}, &tokens.Options{Scopes: []string{"user-read-private"}})
	tok, _ := ts.Token()
	fmt.Println(tok.AccessToken, strings.Fields(tok.Extra("scope").(string)))
	fmt.Println("logins:", counts["authorization_code"].Load())
	// Output:
	// token-1 [user-read-private]
	// logins: 1
}
