package tokens_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/serializers"
	"github.com/cachedhttp/cachedhttp/tokens"
)

func key32(id string, b byte) serializers.Key {
	return serializers.Key{ID: id, Secret: bytes.Repeat([]byte{b}, 32)}
}

// storeUnderTest is a store with a way to read the bytes it stored and to
// open another store on the same place with other options.
type storeUnderTest struct {
	store tokens.Store
	raw   func(t *testing.T, key string) []byte
	reuse func(t *testing.T, opts *tokens.StoreOptions) tokens.Store
}

// storeFactories returns a factory per store: a BackendStore over every
// backend, and FileStore.
func storeFactories() map[string]func(t *testing.T, opts *tokens.StoreOptions) storeUnderTest {
	out := map[string]func(t *testing.T, opts *tokens.StoreOptions) storeUnderTest{}
	for name, open := range backendFactories() {
		out["backend/"+name] = func(t *testing.T, opts *tokens.StoreOptions) storeUnderTest {
			b := open(t)
			reuse := func(t *testing.T, opts *tokens.StoreOptions) tokens.Store {
				s, err := tokens.NewBackendStore(b, opts)
				if err != nil {
					t.Fatal(err)
				}
				return s
			}
			return storeUnderTest{
				store: reuse(t, opts),
				raw: func(t *testing.T, key string) []byte {
					v, err := b.Get(t.Context(), key)
					if err != nil {
						t.Fatal(err)
					}
					return v
				},
				reuse: reuse,
			}
		}
	}
	out["spotipy file"] = func(t *testing.T, opts *tokens.StoreOptions) storeUnderTest {
		dir := t.TempDir()
		reuse := func(t *testing.T, opts *tokens.StoreOptions) tokens.Store {
			s, err := tokens.NewFileStore(dir, opts)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		return storeUnderTest{
			store: reuse(t, opts),
			raw: func(t *testing.T, key string) []byte {
				v, err := os.ReadFile(filepath.Join(dir, ".cache-"+key))
				if err != nil {
					t.Fatal(err)
				}
				return v
			},
			reuse: reuse,
		}
	}
	return out
}

func sameToken(t *testing.T, got, want *oauth2.Token) {
	t.Helper()
	if got.AccessToken != want.AccessToken || got.RefreshToken != want.RefreshToken || got.TokenType != want.TokenType ||
		!got.Expiry.Equal(want.Expiry) || got.Extra("scope") != want.Extra("scope") {
		t.Fatalf("got token %q/%q/%q expiry %v scope %v; want %q/%q/%q expiry %v scope %v",
			got.AccessToken, got.RefreshToken, got.TokenType, got.Expiry, got.Extra("scope"),
			want.AccessToken, want.RefreshToken, want.TokenType, want.Expiry, want.Extra("scope"))
	}
}

func TestStores(t *testing.T) {
	for name, open := range storeFactories() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			s := open(t, nil)
			if _, err := s.store.Load(ctx, "alice"); !errors.Is(err, tokens.ErrNotFound) {
				t.Fatalf("Load of a missing token: %v, want ErrNotFound", err)
			}
			expiry := time.Unix(1767229200, 0)
			first := token("access-1", "refresh-1", expiry, "a b")
			if err := s.store.Save(ctx, "alice", first); err != nil {
				t.Fatal(err)
			}
			got, err := s.store.Load(ctx, "alice")
			if err != nil {
				t.Fatal(err)
			}
			sameToken(t, got, first)

			second := token("access-2", "refresh-2", expiry.Add(time.Hour), "")
			if err := s.store.Save(ctx, "alice", second); err != nil {
				t.Fatal(err)
			}
			if got, err = s.store.Load(ctx, "alice"); err != nil {
				t.Fatal(err)
			}
			sameToken(t, got, second)

			if err := s.store.Save(ctx, "bob", first); err != nil {
				t.Fatal(err)
			}
			if err := s.store.Delete(ctx, "alice"); err != nil {
				t.Fatal(err)
			}
			if _, err := s.store.Load(ctx, "alice"); !errors.Is(err, tokens.ErrNotFound) {
				t.Fatalf("Load after Delete: %v, want ErrNotFound", err)
			}
			if err := s.store.Delete(ctx, "alice"); err != nil {
				t.Fatalf("Delete of a missing token: %v", err)
			}
			if got, err := s.store.Load(ctx, "bob"); err != nil || got.AccessToken != "access-1" {
				t.Fatalf("other key after Delete: %v, %v", got, err)
			}
			if err := s.store.Save(ctx, "carol", &oauth2.Token{}); !errors.Is(err, tokens.ErrNoAccessToken) {
				t.Fatalf("Save of a token without access token: %v, want ErrNoAccessToken", err)
			}
			// The bytes are spotipy's JSON.
			if raw := s.raw(t, "bob"); !bytes.HasPrefix(raw, []byte(`{"access_token": "access-1", "token_type": "Bearer"`)) {
				t.Fatalf("stored %q", raw)
			}
		})
	}
}

// With keys, the stored bytes hold no secret in clear; a store with another
// key, without keys, or reading a value in clear, gets ErrUndecodable, and
// a store holding the old key among its keys reads old values (rotation).
func TestStoresEncrypt(t *testing.T) {
	oldKey, newKey := key32("2026-01", 1), key32("2026-05", 2)
	for name, open := range storeFactories() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			s := open(t, &tokens.StoreOptions{Keys: []serializers.Key{oldKey}})
			tok := token("access-SECRET-1", "refresh-SECRET-1", time.Unix(1767229200, 0), "scope-name")
			if err := s.store.Save(ctx, "alice", tok); err != nil {
				t.Fatal(err)
			}
			raw := s.raw(t, "alice")
			for _, secret := range []string{"access-SECRET-1", "refresh-SECRET-1", "SECRET", "scope-name", "access_token"} {
				if bytes.Contains(raw, []byte(secret)) {
					t.Fatalf("stored bytes hold %q in clear: %q", secret, raw)
				}
			}
			if line, _, _ := bytes.Cut(raw, []byte("\n")); string(line) != "cachedhttp-bytes v1 aes-256-gcm:2026-01" {
				t.Fatalf("header %q", line)
			}
			got, err := s.store.Load(ctx, "alice")
			if err != nil {
				t.Fatal(err)
			}
			sameToken(t, got, tok)

			for what, opts := range map[string]*tokens.StoreOptions{
				"wrong secret, same id": {Keys: []serializers.Key{key32("2026-01", 9)}},
				"other key id":          {Keys: []serializers.Key{newKey}},
				"no keys":               nil,
			} {
				got, err := s.reuse(t, opts).Load(ctx, "alice")
				if got != nil || !errors.Is(err, tokens.ErrUndecodable) {
					t.Fatalf("%s: Load = %v, %v; want ErrUndecodable", what, got, err)
				}
				if bytes.Contains([]byte(err.Error()), []byte("SECRET")) {
					t.Fatalf("%s: error repeats the token: %v", what, err)
				}
			}

			rotated := s.reuse(t, &tokens.StoreOptions{Keys: []serializers.Key{newKey, oldKey}})
			if got, err := rotated.Load(ctx, "alice"); err != nil || got.AccessToken != tok.AccessToken {
				t.Fatalf("rotated store reading an old-key value: %v, %v", got, err)
			}
			if err := rotated.Save(ctx, "alice", tok); err != nil {
				t.Fatal(err)
			}
			if line, _, _ := bytes.Cut(s.raw(t, "alice"), []byte("\n")); string(line) != "cachedhttp-bytes v1 aes-256-gcm:2026-05" {
				t.Fatalf("rotated store writes with %q", line)
			}

			clear := s.reuse(t, nil)
			if err := clear.Save(ctx, "bob", tok); err != nil {
				t.Fatal(err)
			}
			if got, err := rotated.Load(ctx, "bob"); got != nil || !errors.Is(err, tokens.ErrUndecodable) {
				t.Fatalf("encrypting store reading a value in clear: %v, %v; want ErrUndecodable", got, err)
			}
		})
	}
}

func TestStoreOptionsRejectBadKeys(t *testing.T) {
	bad := []*tokens.StoreOptions{
		{Keys: []serializers.Key{{ID: "short", Secret: []byte("16 bytes secret!")}}},
		{Keys: []serializers.Key{{ID: "bad id!", Secret: bytes.Repeat([]byte{1}, 32)}}},
		{Keys: []serializers.Key{key32("same", 1), key32("same", 2)}},
	}
	for i, opts := range bad {
		if _, err := tokens.NewFileStore(t.TempDir(), opts); err == nil {
			t.Errorf("case %d: NewFileStore: no error", i)
		}
		if _, err := tokens.NewBackendStore(backendFactories()["memory"](t), opts); err == nil {
			t.Errorf("case %d: NewBackendStore: no error", i)
		}
	}
	if _, err := tokens.NewBackendStore(nil, nil); err == nil {
		t.Error("NewBackendStore(nil): no error")
	}
}

// A BackendStore's miss matches the backend's sentinel too.
func TestBackendStoreMissMatchesBackendsErrNotFound(t *testing.T) {
	s, err := tokens.NewBackendStore(backendFactories()["memory"](t), nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Load(context.Background(), "nobody")
	if !errors.Is(err, tokens.ErrNotFound) || !errors.Is(err, backends.ErrNotFound) {
		t.Fatalf("Load: %v", err)
	}
}
