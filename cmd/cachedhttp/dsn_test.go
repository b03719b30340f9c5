package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cachedhttp/cachedhttp/backends"
)

// The commands that read a cache refuse to create a missing one and name
// the path they looked for (issue 12: ls, show, stats, purge and migrate
// --from created an empty cache, and its directory, and exited 0).
func TestReadOnlyCommandsRefuseMissingCache(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	abs := func(p string) string {
		a, err := filepath.Abs(p)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	for _, c := range []struct {
		dsn  string
		path string // what must not appear
	}{
		{"bbolt:nonexist.db", "nonexist.db"},
		{"bbolt://" + filepath.ToSlash(filepath.Join(dir, "no", "such", "dir", "x.db")), filepath.Join(dir, "no")},
		{"file:missing-dir", "missing-dir"},
		{"file://" + filepath.ToSlash(filepath.Join(dir, "gone")) + "?max_entries=5", filepath.Join(dir, "gone")},
	} {
		for _, args := range [][]string{
			{"ls", "--cache", c.dsn},
			{"show", "--cache", c.dsn, "v1:abc"},
			{"stats", "--cache", c.dsn},
			{"purge", "--cache", c.dsn},
			{"purge", "--cache", c.dsn, "--all"},
			{"migrate", "--from", c.dsn, "--to", "memory://"},
		} {
			r := runCmd(t, args...)
			if r.code != exitError || !strings.Contains(r.err, "no such cache: "+abs(c.path)) || !strings.Contains(r.err, "does not exist") {
				t.Errorf("%q: status %d, stderr %q", args, r.code, r.err)
			}
			if _, err := os.Stat(c.path); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("%q created %s (%v)", args, c.path, err)
			}
		}
	}
	// gregjones sources too (leveldb would create a database).
	urls := filepath.Join(t.TempDir(), "urls")
	if err := os.WriteFile(urls, []byte("http://a.example/\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, from := range []string{"httpcache-leveldb:nodb", "httpcache-disk:nodisk", "httpcache+bbolt:nobolt.db"} {
		r := runCmd(t, "migrate", "--from", from, "--to", "memory://", "--urls", urls)
		if r.code != exitError || !strings.Contains(r.err, "does not exist") {
			t.Errorf("migrate --from %s: status %d, stderr %q", from, r.code, r.err)
		}
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("the commands left %v behind", ents)
	}
	// get writes, so it creates the cache.
	o := newOrigin(t, cacheable("x"))
	mustRun(t, "get", "--cache", "bbolt:new/cache.db", o.URL)
	if _, err := os.Stat("new/cache.db"); err != nil {
		t.Errorf("get did not create its cache: %v", err)
	}
	if r := mustRun(t, "stats", "--cache", "bbolt:new/cache.db"); !strings.HasPrefix(r.out, "responses 1 ") {
		t.Errorf("stats on the new cache: %q", r.out)
	}
}

// A DSN whose scheme is missing or misspelt gets a suggestion (issue 12:
// "-cache http_cache.db" answered `unknown DSN scheme ""` alone).
func TestDSNHints(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if err := os.Mkdir("cachedir", 0o700); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ dsn, hint string }{
		{"http_cache.db", "for the bbolt file http_cache.db, write bbolt:http_cache.db"},
		{"cachedir", "for the directory cachedir, write file:cachedir"},
		{"bolt:x.db", "did you mean bbolt:x.db?"},
		{"reddis://127.0.0.1:6379/0", "did you mean redis://127.0.0.1:6379/0?"},
		{"memroy://", "did you mean memory://?"},
		{"zookeeper://x", `import _ "github.com/cachedhttp/cachedhttp/backends/NAME"`},
	} {
		for _, args := range [][]string{
			{"get", "--cache", tt.dsn, "http://127.0.0.1:1/"},
			{"ls", "--cache", tt.dsn},
			{"migrate", "--from", "memory://", "--to", tt.dsn},
			{"proxy", "--cache", tt.dsn, "--listen", "127.0.0.1:0"},
		} {
			r := runCmd(t, args...)
			if r.code != exitError || !strings.Contains(r.err, "unknown DSN scheme") || !strings.Contains(r.err, tt.hint) {
				t.Errorf("%q: status %d, stderr %q; want the hint %q", args, r.code, r.err, tt.hint)
			}
		}
	}
	// The hint keeps the error's identity.
	_, err := backends.Open(t.Context(), "bolt:x.db")
	if err = withDSNHint("bolt:x.db", err); !errors.Is(err, backends.ErrUnknownScheme) {
		t.Errorf("withDSNHint lost the sentinel: %v", err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("the commands left %v behind", ents)
	}
}

func TestEditDistance(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"bolt", "bbolt", 1}, {"reddis", "redis", 1}, {"memroy", "memory", 2}, {"abc", "", 3}, {"kitten", "sitting", 3},
	} {
		if got := editDistance(tt.a, tt.b); got != tt.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
	if s := closestScheme("x"); s != "" {
		t.Errorf("closestScheme(x) = %q, want none: one letter is no typo of anything", s)
	}
}
