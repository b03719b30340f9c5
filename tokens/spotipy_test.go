package tokens_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/cachedhttp/cachedhttp/tokens"
)

// copyFixture copies testdata/name to dir/as and returns its path.
func copyFixture(t *testing.T, name, dir, as string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, as)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// The fixture is what spotipy's SpotifyOAuth writes (json.dumps of the
// token response with expires_at added), under spotipy's name for a user's
// cache, .cache-USERNAME.
func TestFileStoreReadsSpotipyFile(t *testing.T) {
	dir := t.TempDir()
	copyFixture(t, "spotipy-alice.json", dir, ".cache-alice")
	store, err := tokens.NewFileStore(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := store.Load(t.Context(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	want := struct {
		access, refresh, typ, scope string
		expiry                      time.Time
		expiresIn                   int64
	}{"BQDaliceAccessToken0123456789", "AQDaliceRefreshToken0123456789", "Bearer",
		"playlist-read-private user-read-email", time.Unix(1767229200, 0), 3600}
	if tok.AccessToken != want.access || tok.RefreshToken != want.refresh || tok.TokenType != want.typ ||
		!tok.Expiry.Equal(want.expiry) || tok.ExpiresIn != want.expiresIn || tok.Extra("scope") != want.scope {
		t.Fatalf("loaded %+v scope %v; want %+v", tok, tok.Extra("scope"), want)
	}
}

// Non-ASCII and control characters are escaped as json.dumps escapes them
// (ensure_ascii), so the bytes match Python's here too.
func TestFileStoreWritesLikeJSONDumps(t *testing.T) {
	dir := t.TempDir()
	store, err := tokens.NewFileStore(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	tok := (&oauth2.Token{AccessToken: "go-acc\u00e9ss-\U0001F600", TokenType: "Bearer", RefreshToken: "go-refresh\u2028<&>",
		Expiry: time.Unix(1767229200, 0), ExpiresIn: 3600}).
		WithExtra(map[string]any{"scope": "sc\u00f6pe", "id_token": "id\"\\\u007f\u0001\b\f\n\r\t/"})
	if err := store.Save(t.Context(), "u", tok); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(dir, ".cache-u"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join("testdata", "spotipy-written-unicode.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("file holds\n%s\nwant (json.dumps)\n%s", got, want)
	}
	back, err := store.Load(t.Context(), "u")
	if err != nil || back.AccessToken != tok.AccessToken || back.RefreshToken != tok.RefreshToken || back.Extra("id_token") != tok.Extra("id_token") {
		t.Fatalf("read back %+v, %v", back, err)
	}
}

// A token written by Go is, byte for byte, what Python's json.dumps writes
// for the same token_info (the golden was produced by it), in a 0600 file
// in 0700 directories, with no temporary file left behind.
func TestFileStoreWritesSpotipyFormat(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "sub", "dir")
	store, err := tokens.NewFileStore(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	tok := (&oauth2.Token{AccessToken: "go-access", TokenType: "Bearer", RefreshToken: "go-refresh",
		Expiry: time.Unix(1767229200, 0), ExpiresIn: 3600}).
		WithExtra(map[string]any{"scope": "user-read-private user-read-email", "id_token": "go-id"})
	for range 2 { // the second Save replaces the file
		if err := store.Save(t.Context(), "bob", tok); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, ".cache-bob")
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join("testdata", "spotipy-written.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("file holds\n%s\nwant (json.dumps)\n%s", got, want)
	}
	var fields map[string]any
	if err := json.Unmarshal(got, &fields); err != nil {
		t.Fatal(err)
	}
	for name, v := range map[string]any{"access_token": "go-access", "token_type": "Bearer", "expires_in": 3600.0,
		"refresh_token": "go-refresh", "scope": "user-read-private user-read-email", "expires_at": 1767229200.0} {
		if fields[name] != v {
			t.Errorf("field %s = %#v, want %#v", name, fields[name], v)
		}
	}
	checkMode(t, path, 0o600)
	checkMode(t, filepath.Join(root, "sub"), 0o700|fs.ModeDir)
	checkMode(t, dir, 0o700|fs.ModeDir)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Fatalf("directory holds %d entries, want only the token file", len(entries))
	}
}

func checkMode(t *testing.T, path string, want fs.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode() & (fs.ModePerm | fs.ModeDir); got != want {
		t.Errorf("%s has mode %v, want %v", path, got, want)
	}
}

// A token loaded and saved again keeps the fields Go does not know, and a
// null scope stays null.
func TestFileStoreKeepsUnknownFields(t *testing.T) {
	dir := t.TempDir()
	copyFixture(t, "spotipy-extra.json", dir, ".cache")
	store, err := tokens.NewFileStore(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := store.Load(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	if !tok.Expiry.Equal(time.Unix(1767229200, 5e8)) || tok.RefreshToken != "" {
		t.Fatalf("loaded expiry %v refresh %q", tok.Expiry, tok.RefreshToken)
	}
	if err := store.Save(t.Context(), "copy", tok); err != nil {
		t.Fatal(err)
	}
	read := func(name string) map[string]any {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	orig, copied := read(".cache"), read(".cache-copy")
	// spotipy writes expires_at as an integer; Go writes whole seconds.
	if copied["expires_at"] != 1767229200.0 {
		t.Errorf("expires_at = %v", copied["expires_at"])
	}
	delete(orig, "expires_at")
	delete(copied, "expires_at")
	if !reflect.DeepEqual(orig, copied) {
		t.Fatalf("saved again:\n%v\nwant\n%v", copied, orig)
	}
}

func TestFileStorePaths(t *testing.T) {
	dir := t.TempDir()
	store, err := tokens.NewFileStore(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]string{"": ".cache", "alice": ".cache-alice", "a.b@c": ".cache-a.b@c"} {
		if p, err := store.Path(key); err != nil || p != filepath.Join(dir, want) {
			t.Errorf("Path(%q) = %q, %v; want %s", key, p, err, want)
		}
	}
	for _, key := range []string{"a/b", `a\b`, "..", ".", "nul\x00"} {
		if _, err := store.Path(key); !errors.Is(err, tokens.ErrInvalidKey) {
			t.Errorf("Path(%q): %v, want ErrInvalidKey", key, err)
		}
		if err := store.Save(t.Context(), key, token("a", "", time.Time{}, "")); !errors.Is(err, tokens.ErrInvalidKey) {
			t.Errorf("Save(%q): %v, want ErrInvalidKey", key, err)
		}
	}
	single, err := tokens.NewFileStoreAt(filepath.Join(dir, "one.json"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := single.Save(t.Context(), "x", token("tok-x", "", time.Time{}, "")); err != nil {
		t.Fatal(err)
	}
	if tok, err := single.Load(t.Context(), "y"); err != nil || tok.AccessToken != "tok-x" {
		t.Fatalf("NewFileStoreAt: every key names the one file: %v, %v", tok, err)
	}
	if _, err := tokens.NewFileStoreAt("", nil); err == nil {
		t.Error("NewFileStoreAt with an empty path: no error")
	}
}

// Variants spotipy or other tools write are read; anything else is
// ErrUndecodable, with an error that does not repeat the token.
func TestFileStoreDecoding(t *testing.T) {
	accepted := []struct {
		name, json string
		check      func(*oauth2.Token) bool
	}{
		{"scope as an array", `{"access_token": "SECRET", "scope": ["a", "b"], "expires_at": 10}`,
			func(tok *oauth2.Token) bool { return tok.Expiry.Equal(time.Unix(10, 0)) }},
		{"no expiry fields: never expires", `{"access_token": "SECRET"}`,
			func(tok *oauth2.Token) bool { return tok.Expiry.IsZero() && tok.TokenType == "" }},
		{"expires_in without expires_at: expired", `{"access_token": "SECRET", "expires_in": 3600}`,
			func(tok *oauth2.Token) bool { return tok.Expiry.Equal(time.Unix(0, 0)) && tok.ExpiresIn == 3600 }},
		{"nulls", `{"access_token": "SECRET", "refresh_token": null, "token_type": null, "scope": null, "expires_at": null}`,
			func(tok *oauth2.Token) bool { return tok.RefreshToken == "" && tok.Expiry.IsZero() }},
		{"exponent", `{"access_token": "SECRET", "expires_at": 1.7e9}`,
			func(tok *oauth2.Token) bool { return tok.Expiry.Equal(time.Unix(17e8, 0)) }},
		{"trailing line feed", "{\"access_token\": \"SECRET\"}\n",
			func(tok *oauth2.Token) bool { return tok.AccessToken == "SECRET" }},
	}
	rejected := map[string]string{
		"empty file":            ``,
		"not JSON":              `access_token=SECRET`,
		"array":                 `["SECRET"]`,
		"null":                  `null`,
		"no access token":       `{"refresh_token": "SECRET"}`,
		"empty access token":    `{"access_token": "", "refresh_token": "SECRET"}`,
		"access token a number": `{"access_token": 5, "refresh_token": "SECRET"}`,
		"refresh token object":  `{"access_token": "SECRET", "refresh_token": {}}`,
		"expires_at a string":   `{"access_token": "SECRET", "expires_at": "tomorrow"}`,
		"expires_at huge":       `{"access_token": "SECRET", "expires_at": 1e300}`,
		"scope a number":        `{"access_token": "SECRET", "scope": 1}`,
		"scope array of number": `{"access_token": "SECRET", "scope": [1]}`,
		"two objects":           `{"access_token": "SECRET"} {}`,
		"truncated":             `{"access_token": "SECRET"`,
		"bad syntax after":      `{"access_token": "SECRET", x}`,
		"encrypted-looking":     "cachedhttp-bytes v1 aes-256-gcm:k\nSECRET",
	}
	dir := t.TempDir()
	store, err := tokens.NewFileStore(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	write := func(t *testing.T, data string) {
		if err := os.WriteFile(filepath.Join(dir, ".cache"), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range accepted {
		t.Run(c.name, func(t *testing.T) {
			write(t, c.json)
			tok, err := store.Load(t.Context(), "")
			if err != nil || tok.AccessToken != "SECRET" || !c.check(tok) {
				t.Fatalf("Load = %+v, %v", tok, err)
			}
		})
	}
	for name, data := range rejected {
		t.Run(name, func(t *testing.T) {
			write(t, data)
			tok, err := store.Load(t.Context(), "")
			if tok != nil || !errors.Is(err, tokens.ErrUndecodable) {
				t.Fatalf("Load = %v, %v; want ErrUndecodable", tok, err)
			}
			if strings.Contains(err.Error(), "SECRET") {
				t.Fatalf("error repeats the token: %v", err)
			}
		})
	}
}

func TestFileStoreRefusesLargeFiles(t *testing.T) {
	dir := t.TempDir()
	big := `{"access_token": "x", "pad": "` + strings.Repeat("a", 2<<20) + `"}`
	if err := os.WriteFile(filepath.Join(dir, ".cache"), []byte(big), 0o600); err != nil {
		t.Fatal(err)
	}
	store, err := tokens.NewFileStore(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Load(context.Background(), ""); !errors.Is(err, tokens.ErrUndecodable) {
		t.Fatalf("Load of a 2 MiB file: %v, want ErrUndecodable", err)
	}
}
