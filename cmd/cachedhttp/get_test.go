package main

import (
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cachedhttp/cachedhttp/models"
)

// echo answers with the method, Content-Type and body of the request,
// cacheable for a minute.
func echo(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	w.Header().Set("Cache-Control", "max-age=60")
	w.Header().Set("Content-Type", "text/plain")
	io.WriteString(w, r.Method+" "+r.Header.Get("Content-Type")+" "+string(b))
}

// Flags may come after the URL, short flags cluster, long flags take one
// dash or two, and "--" ends the flags (issue 12: flags after the URL were
// refused with "want exactly one URL").
func TestFlagsAnywhere(t *testing.T) {
	o := newOrigin(t, cacheable("hello"))
	dsn := tempDSN(t)
	for _, args := range [][]string{
		{"get", o.URL + "/a", "-cache", dsn},
		{"get", o.URL + "/a", "--cache", dsn, "-s"},
		{"get", "--cache=" + dsn, o.URL + "/a", "-sS"},
		{"get", "-cache=" + dsn, "-sSL", o.URL + "/a"},
		{"get", "-sH", "X-A: 1", o.URL + "/a", "-cache", dsn},
		{"get", "--cache", dsn, "--", o.URL + "/a"},
	} {
		r := mustRun(t, args...)
		if r.out != "hello" {
			t.Errorf("%q: body %q", args, r.out)
		}
		if silent := strings.Contains(strings.Join(args, " "), "-s"); silent != (r.err == "") {
			t.Errorf("%q: stderr %q", args, r.err)
		}
	}
	if r := mustRun(t, "ls", "--cache", dsn, "-l"); !strings.Contains(r.out, keyOf(t, o.URL+"/a")) {
		t.Errorf("ls -l after --cache:\n%s", r.out)
	}
	if r := mustRun(t, "ls", "-l", "-cache", dsn); !strings.Contains(r.out, keyOf(t, o.URL+"/a")) {
		t.Errorf("ls -cache after -l:\n%s", r.out)
	}
	// After "--", a word that looks like a flag is an argument.
	if r := runCmd(t, "get", "--cache", dsn, "--", o.URL, "-s"); r.code != exitUsage || !strings.Contains(r.err, "want exactly one URL, got 2") {
		t.Errorf("get -- URL -s: status %d, %s", r.code, r.err)
	}
}

func TestLongFlagsWithOneDash(t *testing.T) {
	fs := newFlagSet("get", io.Discard)
	fs.String("cache", "", "")
	fs.StringP("request", "X", "", "")
	fs.StringP("data", "d", "", "")
	fs.BoolP("silent", "s", false, "")
	fs.BoolP("location", "L", false, "")
	fs.Bool("offline", false, "")
	for _, tt := range []struct{ in, want string }{
		{"-cache x URL", "--cache x URL"},
		{"-cache=x -offline URL", "--cache=x --offline URL"},
		{"-XPOST -d -cache URL", "-XPOST -d -cache URL"}, // -cache is -d's value
		{"-sLd -offline URL", "-sLd -offline URL"},       // likewise
		{"-sL -offline", "-sL --offline"},
		{"--data -offline -s", "--data -offline -s"},
		{"-nope", "--nope"},
		{"URL -- -cache", "URL -- -cache"},
	} {
		got := strings.Join(longFlagsWithOneDash(fs, strings.Fields(tt.in)), " ")
		if got != tt.want {
			t.Errorf("%q: got %q, want %q", tt.in, got, tt.want)
		}
	}
}

// A URL without a scheme is http:// (issue 12: "127.0.0.1:19102/x" failed
// with Go's raw URL error).
func TestGetAssumesHTTP(t *testing.T) {
	o := newOrigin(t, cacheable("no scheme"))
	r := mustRun(t, "get", "-cache", tempDSN(t), strings.TrimPrefix(o.URL, "http://")+"/x")
	if r.out != "no scheme" {
		t.Errorf("body %q", r.out)
	}
	for _, bad := range []string{"ftp://example.com/x", "http://"} {
		if r := runCmd(t, "get", "-cache", tempDSN(t), bad); r.code != exitUsage || !strings.Contains(r.err, "URL") {
			t.Errorf("%s: status %d, %s", bad, r.code, r.err)
		}
	}
}

func TestGetMethodAndData(t *testing.T) {
	o := newOrigin(t, echo)
	dsn := tempDSN(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "body.txt")
	if err := os.WriteFile(file, []byte("a=1\r\nb=2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	oldStdin := stdin
	t.Cleanup(func() { stdin = oldStdin })
	stdin = strings.NewReader("from stdin")

	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"-d", "x=1"}, "POST application/x-www-form-urlencoded x=1"},
		{[]string{"--data", "x=1", "-d", "y=2"}, "POST application/x-www-form-urlencoded x=1&y=2"},
		{[]string{"-d", "@" + file}, "POST application/x-www-form-urlencoded a=1b=2"},
		{[]string{"--data-binary", "@" + file}, "POST application/x-www-form-urlencoded a=1\r\nb=2\n"},
		{[]string{"-d", "@-", "-H", "Content-Type: text/plain"}, "POST text/plain from stdin"},
		{[]string{"-XPUT", "-d", "{}", "-H", "Content-Type: application/json"}, "PUT application/json {}"},
		{[]string{"-X", "DELETE"}, "DELETE  "},
	} {
		r := mustRun(t, append(append([]string{"get", "-cache", dsn, o.URL + "/m"}, tt.args...), "-s")...)
		if r.out != tt.want {
			t.Errorf("%q: origin saw %q, want %q", tt.args, r.out, tt.want)
		}
	}
	if r := runCmd(t, "get", "-cache", dsn, "-d", "@"+filepath.Join(dir, "missing"), o.URL); r.code != exitError || !strings.Contains(r.err, "missing") {
		t.Errorf("-d @missing: status %d, %s", r.code, r.err)
	}
}

func TestGetOutputFile(t *testing.T) {
	o := newOrigin(t, cacheable("to a file"))
	out := filepath.Join(t.TempDir(), "body")
	r := mustRun(t, "get", "-cache", tempDSN(t), "-o", out, o.URL)
	if r.out != "" || !strings.Contains(r.err, "cachedhttp; fwd=uri-miss") {
		t.Errorf("stdout %q, stderr %q", r.out, r.err)
	}
	if b, err := os.ReadFile(out); err != nil || string(b) != "to a file" {
		t.Errorf("file: %q, %v", b, err)
	}
	// With -i the header goes where the body goes, as with curl.
	mustRun(t, "get", "-cache", tempDSN(t), "-i", "-o", out, o.URL)
	if b, _ := os.ReadFile(out); !strings.HasPrefix(string(b), "HTTP/1.1 200 OK\r\n") || !strings.HasSuffix(string(b), "\r\n\r\nto a file") {
		t.Errorf("file with -i: %q", b)
	}
}

func TestGetSilent(t *testing.T) {
	o := newOrigin(t, cacheable("quiet"))
	r := mustRun(t, "get", "-cache", tempDSN(t), "-s", o.URL)
	if r.out != "quiet" || r.err != "" {
		t.Errorf("stdout %q, stderr %q", r.out, r.err)
	}
}

func TestGetFail(t *testing.T) {
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/missing" {
			http.Error(w, "no such page", http.StatusNotFound)
			return
		}
		cacheable("ok")(w, r)
	})
	dsn := tempDSN(t)
	// Without -f, any status is a success, as with curl.
	if r := mustRun(t, "get", "-cache", dsn, o.URL+"/missing"); r.out != "no such page\n" {
		t.Errorf("without -f: %q", r.out)
	}
	r := runCmd(t, "get", "-cache", dsn, "-f", o.URL+"/missing")
	if r.code != exitError || r.out != "" || !strings.Contains(r.err, "404 Not Found") {
		t.Errorf("-f on 404: status %d, stdout %q, stderr %q", r.code, r.out, r.err)
	}
	if r := mustRun(t, "get", "-cache", dsn, "-sf", o.URL+"/ok"); r.out != "ok" {
		t.Errorf("-f on 200: %q", r.out)
	}
	// -f with -offline: a 504 for nothing stored is a failure too.
	r = runCmd(t, "get", "-cache", dsn, "-f", "-offline", o.URL+"/never-fetched")
	if r.code != exitError || r.out != "" || !strings.Contains(r.err, "504 Gateway Timeout") || !strings.Contains(r.err, "--offline") {
		t.Errorf("-f -offline on a miss: status %d, stdout %q, stderr %q", r.code, r.out, r.err)
	}
	// The real process exits 1.
	out, err := mainCommand(t, "get", "-cache", dsn, "-f", o.URL+"/missing").CombinedOutput()
	var ee interface{ ExitCode() int }
	if !errors.As(err, &ee) || ee.ExitCode() != exitError {
		t.Errorf("process: %v\n%s", err, out)
	}
}

func TestGetRedirects(t *testing.T) {
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/old" {
			w.Header().Set("Cache-Control", "max-age=60")
			http.Redirect(w, r, "/new", http.StatusMovedPermanently)
			return
		}
		cacheable("new place")(w, r)
	})
	dsn := tempDSN(t)
	// Without -L the redirect is the answer, as with curl.
	r := mustRun(t, "get", "-cache", dsn, "-i", o.URL+"/old")
	if !strings.HasPrefix(r.out, "HTTP/1.1 301 Moved Permanently\r\n") || strings.Contains(r.out, "new place") {
		t.Errorf("without -L:\n%s", r.out)
	}
	if n := o.hits.Load(); n != 1 {
		t.Errorf("origin hits %d, want 1", n)
	}
	r = mustRun(t, "get", "-cache", dsn, "-L", o.URL+"/old")
	if r.out != "new place" {
		t.Errorf("-L body %q", r.out)
	}
	// One Cache-Status line per response: the stored redirect, then the
	// new page.
	lines := strings.Split(strings.TrimSpace(r.err), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "cachedhttp; hit") || !strings.Contains(lines[1], "fwd=uri-miss") {
		t.Errorf("-L Cache-Status lines:\n%s", r.err)
	}
	r = mustRun(t, "get", "-cache", dsn, "-iL", o.URL+"/old")
	if !strings.HasPrefix(r.out, "HTTP/1.1 301 ") || !strings.Contains(r.out, "\r\n\r\nHTTP/1.1 200 OK\r\n") || !strings.HasSuffix(r.out, "new place") {
		t.Errorf("-iL:\n%s", r.out)
	}
}

func TestGetHead(t *testing.T) {
	var mu sync.Mutex
	var methods []string
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		methods = append(methods, r.Method)
		mu.Unlock()
		w.Header().Set("X-Origin", "yes")
		cacheable("body")(w, r)
	})
	r := mustRun(t, "get", "-cache", tempDSN(t), "-I", o.URL)
	if !strings.HasPrefix(r.out, "HTTP/1.1 200 OK\r\n") || !strings.Contains(r.out, "X-Origin: yes\r\n") || !strings.HasSuffix(r.out, "\r\n\r\n") {
		t.Errorf("-I:\n%q", r.out)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(methods) != 1 || methods[0] != http.MethodHead {
		t.Errorf("origin saw %v, want one HEAD", methods)
	}
}

// --offline serves a stored response that ls lists even when it is stale,
// with a warning; --max-stale bounds the staleness it accepts (issue 12:
// -offline answered 504 for an entry ls listed).
func TestGetOfflineServesStale(t *testing.T) {
	dsn := tempDSN(t)
	u := "http://stale.example/page"
	now := time.Now()
	seed(t, dsn, map[string]*models.Response{
		keyOf(t, u): record(u, "old news", now.Add(-2*time.Hour), now.Add(-time.Hour),
			"Date", now.Add(-2*time.Hour).UTC().Format(http.TimeFormat), "Cache-Control", "max-age=3600"),
	})
	if r := mustRun(t, "ls", "-cache", dsn); !strings.Contains(r.out, u) {
		t.Fatalf("ls does not list the seeded record:\n%s", r.out)
	}

	r := mustRun(t, "get", "-cache", dsn, "-offline", u)
	if r.out != "old news" {
		t.Errorf("offline body %q", r.out)
	}
	if !strings.Contains(r.err, "cachedhttp; hit") || !strings.Contains(r.err, "warning: the response is stale: it expired 1h0m0s ago") {
		t.Errorf("offline stderr:\n%s", r.err)
	}
	if r := mustRun(t, "get", "-cache", dsn, "-offline", "-s", u); r.out != "old news" || r.err != "" {
		t.Errorf("offline -s: stdout %q, stderr %q", r.out, r.err)
	}
	if r := mustRun(t, "get", "-cache", dsn, "-offline", "-max-stale", "2h", u); r.out != "old news" {
		t.Errorf("offline within -max-stale: %q", r.out)
	}

	// Stale by more than --max-stale: 504, a success without -f.
	r = mustRun(t, "get", "-cache", dsn, "-offline", "-max-stale", "10m", "-i", u)
	if !strings.HasPrefix(r.out, "HTTP/1.1 504 Gateway Timeout\r\n") || !strings.Contains(r.out, "fwd=stale") {
		t.Errorf("offline beyond -max-stale:\n%s", r.out)
	}
	r = runCmd(t, "get", "-cache", dsn, "-offline", "-max-stale", "10m", "-f", u)
	if r.code != exitError || !strings.Contains(r.err, "504") {
		t.Errorf("offline -f beyond -max-stale: status %d, %s", r.code, r.err)
	}
}

func TestGetUsage(t *testing.T) {
	dsn := tempDSN(t)
	for _, tt := range []struct {
		name string
		args []string
		msg  string
	}{
		{"refresh and offline", []string{"--refresh", "--offline", "http://a.example/"}, "contradict"},
		{"offline POST", []string{"--offline", "-d", "x", "http://a.example/"}, "--offline applies to GET and HEAD"},
		{"negative max-stale", []string{"--max-stale", "-1s", "http://a.example/"}, "--max-stale"},
		{"bad expire-after", []string{"--expire-after", "soon", "http://a.example/"}, "never, immediately, no-cache"},
		{"two URLs", []string{"http://a.example/", "http://b.example/"}, "want exactly one URL"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := runCmd(t, append([]string{"get", "-cache", dsn}, tt.args...)...)
			if r.code != exitUsage || !strings.Contains(r.err, tt.msg) {
				t.Errorf("status %d, stderr %q", r.code, r.err)
			}
		})
	}
}

// --expire-after stores responses that give no freshness of their own.
func TestGetExpireAfter(t *testing.T) {
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "plain") })
	dsn := tempDSN(t)
	mustRun(t, "get", "-cache", dsn, "--expire-after", "1h", o.URL)
	if r := mustRun(t, "get", "-cache", dsn, "--expire-after", "1h", o.URL); !strings.HasPrefix(r.err, "cachedhttp; hit") {
		t.Errorf("second fetch: %s", r.err)
	}
	if n := o.hits.Load(); n != 1 {
		t.Errorf("origin hits %d, want 1", n)
	}
}
