package main

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gregjones/httpcache"
	"github.com/gregjones/httpcache/diskcache"
)

// gregjonesOrigin serves a plain response, one that varies on Accept and
// one with an ETag, each cacheable for ten minutes.
func gregjonesOrigin(t *testing.T) *origin {
	return newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Cache-Control", "max-age=600")
		switch r.URL.Path {
		case "/vary":
			h.Set("Vary", "Accept")
			io.WriteString(w, "as "+r.Header.Get("Accept"))
		case "/etag":
			h.Set("ETag", `"t1"`)
			io.WriteString(w, "tagged")
		default:
			io.WriteString(w, "plain "+r.URL.Path)
		}
	})
}

// fillDiskcache fetches the paths with a gregjones Transport over a
// diskcache in a new directory, and returns the directory.
func fillDiskcache(t *testing.T, o *origin, paths ...string) string {
	t.Helper()
	dir := t.TempDir()
	client := httpcache.NewTransport(diskcache.New(dir)).Client()
	for _, p := range paths {
		req, _ := http.NewRequest(http.MethodGet, o.URL+p, nil)
		if p == "/vary" {
			req.Header.Set("Accept", "application/json")
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	return dir
}

// A diskcache directory written by gregjones' Transport, migrated by the
// command, is served as hits by a cachedhttp Session.
func TestMigrateFromGregjonesDiskcache(t *testing.T) {
	o := gregjonesOrigin(t)
	dir := fillDiskcache(t, o, "/plain", "/vary", "/etag", "/unlisted")
	hits := o.hits.Load()
	urls := filepath.Join(t.TempDir(), "urls.txt")
	list := "# what the old cache holds\n" + o.URL + "/plain\n" + o.URL + "/vary\n" + o.URL + "/etag\n" + o.URL + "/never-fetched\n"
	if err := os.WriteFile(urls, []byte(list), 0o600); err != nil {
		t.Fatal(err)
	}
	to := tempDSN(t) + "?compress=gzip" // records are encoded here: serializer parameters apply

	r := mustRun(t, "migrate", "-from", "httpcache-disk://"+filepath.ToSlash(dir), "-to", to, "-urls", urls, "-progress")
	for _, want := range []string{
		"migrate: imported 3 (", "skipped 0, failed 0",
		"migrate: 1 stored responses are not named by --urls",
		"/3 (", // the progress line, which counts the records to import
	} {
		if !strings.Contains(r.err, want) {
			t.Errorf("migrate output lacks %q:\n%s", want, r.err)
		}
	}
	if o.hits.Load() != hits {
		t.Fatal("migrate contacted the origin")
	}

	sess, err := open(to)
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	for _, tt := range []struct{ path, accept, body string }{
		{"/plain", "", "plain /plain"},
		{"/vary", "application/json", "as application/json"},
		{"/etag", "", "tagged"},
	} {
		req, _ := http.NewRequest(http.MethodGet, o.URL+tt.path, nil)
		if tt.accept != "" {
			req.Header.Set("Accept", tt.accept)
		}
		resp, body := fetchReq(t, sess.Client, req)
		if cs := resp.Header.Get("Cache-Status"); body != tt.body || !strings.HasPrefix(cs, "cachedhttp; hit") {
			t.Errorf("%s: %q, Cache-Status %q; want %q from a hit", tt.path, body, cs, tt.body)
		}
	}
	if n := o.hits.Load() - hits; n != 0 {
		t.Errorf("the origin answered %d requests after the migration; want 0", n)
	}
}

func fetchReq(t *testing.T, c *http.Client, req *http.Request) (*http.Response, string) {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

func TestMigrateFromGregjonesUsage(t *testing.T) {
	o := gregjonesOrigin(t)
	dir := fillDiskcache(t, o, "/plain")
	disk := "httpcache-disk://" + filepath.ToSlash(dir)
	bad := filepath.Join(t.TempDir(), "bad.txt")
	os.WriteFile(bad, []byte("not a url\n"), 0o600)
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"a diskcache needs -urls", []string{"-from", disk, "-to", tempDSN(t)}, "give them with --urls FILE"},
		{"-urls with a cachedhttp source", []string{"-from", tempDSN(t), "-to", tempDSN(t), "-urls", bad}, "--urls applies to gregjones/httpcache sources only"},
		{"a bad URL line", []string{"-from", disk, "-to", tempDSN(t), "-urls", bad}, "line 1"},
		{"a gregjones store as -to", []string{"-from", tempDSN(t), "-to", disk}, "can only be read"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := runCmd(t, append([]string{"migrate"}, tt.args...)...)
			if r.code != exitUsage || !strings.Contains(r.err, tt.want) {
				t.Errorf("exit %d, stderr %q; want usage error with %q", r.code, r.err, tt.want)
			}
		})
	}
}
