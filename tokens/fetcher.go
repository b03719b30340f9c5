package tokens

import (
	"context"
	"errors"
	"net/http"

	"golang.org/x/oauth2"
)

// Fetcher obtains a token when the store holds none that a TokenSource can
// use. cached is the stored token to refresh: it may be expired, and it is
// nil when there is none, when its scopes do not cover the requested ones
// (spotipy then starts a new authorisation too), or when it could not be
// read. A refresh uses cached.RefreshToken; a flow without refresh tokens
// (client credentials, a JWT grant) ignores cached.
//
// A Fetcher must fetch a new token each time it is called: an
// oauth2.TokenSource that reuses its token (oauth2.ReuseTokenSource, and
// the sources of oauth2.Config.TokenSource and clientcredentials) may hand
// back the token the TokenSource just judged expired. For client
// credentials call clientcredentials.Config.Token, which always asks:
//
//	tokens.FetcherFunc(func(ctx context.Context, _ *oauth2.Token) (*oauth2.Token, error) {
//		return ccfg.Token(ctx)
//	})
type Fetcher interface {
	Fetch(ctx context.Context, cached *oauth2.Token) (*oauth2.Token, error)
}

// FetcherFunc adapts a function to Fetcher.
type FetcherFunc func(ctx context.Context, cached *oauth2.Token) (*oauth2.Token, error)

// Fetch calls f(ctx, cached).
func (f FetcherFunc) Fetch(ctx context.Context, cached *oauth2.Token) (*oauth2.Token, error) {
	return f(ctx, cached)
}

// Refresher is the Fetcher of the authorisation code flow: it refreshes
// the cached token at Config's token endpoint and, when there is nothing to
// refresh or the server refuses the refresh token (invalid_grant: revoked
// or expired), obtains a new token with Login.
//
// The first token of an authorisation code flow needs the user (a browser,
// a redirect, Config.Exchange): do it in Login, or once before and Save
// the token in the store.
type Refresher struct {
	// Config names the client and the token endpoint. Required.
	Config *oauth2.Config
	// Client is the HTTP client for the token endpoint. Nil means the one
	// in the context under oauth2.HTTPClient, else http.DefaultClient.
	Client *http.Client
	// Login obtains a token without a refresh token, typically by
	// running an authorisation code flow. Nil means Fetch returns
	// ErrNoToken when it has nothing to refresh.
	Login func(ctx context.Context) (*oauth2.Token, error)
}

// Fetch refreshes cached with Config, or calls Login (see Refresher).
func (r *Refresher) Fetch(ctx context.Context, cached *oauth2.Token) (*oauth2.Token, error) {
	if r.Client != nil {
		ctx = context.WithValue(ctx, oauth2.HTTPClient, r.Client)
	}
	if cached != nil && cached.RefreshToken != "" {
		// A token without an access token is never valid to oauth2, so
		// its source refreshes at once, even when the cached token is
		// still valid by oauth2's own (smaller) expiry margin.
		tok, err := r.Config.TokenSource(ctx, &oauth2.Token{RefreshToken: cached.RefreshToken}).Token()
		if err == nil {
			return tok, nil
		}
		var re *oauth2.RetrieveError
		if r.Login == nil || !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
			return nil, err
		}
	}
	if r.Login == nil {
		return nil, ErrNoToken
	}
	return r.Login(ctx)
}
