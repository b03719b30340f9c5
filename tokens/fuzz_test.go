package tokens_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/cachedhttp/cachedhttp/backends/memory"
	"github.com/cachedhttp/cachedhttp/tokens"
)

// FuzzSpotipyJSON feeds arbitrary bytes to the spotipy JSON decoder (through
// a store). A value either is ErrUndecodable or is a token that survives a
// Save and Load unchanged, with its expiry kept to the second (spotipy
// writes whole seconds).
func FuzzSpotipyJSON(f *testing.F) {
	fixtures, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	for _, p := range fixtures {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	for _, s := range []string{
		`{"access_token": "a", "scope": ["x", "y"], "expires_at": 1.5e9, "expires_in": -3}`,
		`{"access_token": "a", "expires_in": 3600}`,
		`{"access_token": "a", "\u0000cachedhttp/tokens extra names": ["x"], "x": 1}`,
		`{"access_token": "a", "refresh_token": null, "id_token": "i", "n": 12345678901234567890}`,
		`{"access_token": "\u00e9\ud83d\ude00", "token_type": "bearer", "extra": {"a": [true, null]}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ctx := context.Background()
		b := memory.New(memory.Options{})
		defer b.Close()
		store, err := tokens.NewBackendStore(b, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Set(ctx, "k", data, 0); err != nil {
			t.Fatal(err)
		}
		tok, err := store.Load(ctx, "k")
		if err != nil {
			if !errors.Is(err, tokens.ErrUndecodable) {
				t.Fatalf("Load error does not match ErrUndecodable: %v", err)
			}
			return
		}
		if err := store.Save(ctx, "k", tok); err != nil {
			t.Fatalf("Save of a loaded token: %v", err)
		}
		again, err := store.Load(ctx, "k")
		if err != nil {
			saved, _ := b.Get(ctx, "k")
			t.Fatalf("Load of a saved token: %v\nsaved %q", err, saved)
		}
		if again.AccessToken != tok.AccessToken || again.RefreshToken != tok.RefreshToken ||
			again.TokenType != tok.TokenType && !(tok.TokenType == "" && again.TokenType == "Bearer") ||
			again.Expiry.Unix() != tok.Expiry.Unix() ||
			// expires_in is computed when a token with an expiry has none.
			again.ExpiresIn != tok.ExpiresIn && !(tok.ExpiresIn == 0 && !tok.Expiry.IsZero()) {
			t.Fatalf("round trip changed the token:\n%+v\n%+v", tok, again)
		}
		first, _ := b.Get(ctx, "k")
		if err := store.Save(ctx, "k", again); err != nil {
			t.Fatal(err)
		}
		second, _ := b.Get(ctx, "k")
		if string(first) != string(second) {
			t.Fatalf("saving a loaded token is not stable:\n%s\n%s", first, second)
		}
	})
}
