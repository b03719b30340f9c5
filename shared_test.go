package cachedhttp_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cachedhttp/cachedhttp"
	"github.com/cachedhttp/cachedhttp/backends/backendtest"
	_ "github.com/cachedhttp/cachedhttp/backends/dynamodb"
	_ "github.com/cachedhttp/cachedhttp/backends/redis"
)

// The child half of TestSharedAcrossProcesses: a separate process that opens
// its own Session on the shared DSN and fetches one URL.
func init() {
	dsn, target := os.Getenv("CACHEDHTTP_CHILD_DSN"), os.Getenv("CACHEDHTTP_CHILD_URL")
	if dsn == "" || target == "" {
		return
	}
	os.Exit(child(dsn, target, os.Getenv("CACHEDHTTP_CHILD_OFFLINE") == "1"))
}

func child(dsn, target string, offline bool) int {
	sess, err := cachedhttp.NewSession(cachedhttp.WithBackendDSN(dsn))
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 3
	}
	defer sess.Close()
	ctx := context.Background()
	if offline {
		ctx = cachedhttp.OnlyIfCached(ctx)
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	resp, err := sess.Do(req)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 4
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Printf("%d %v %s\n", resp.StatusCode, cachedhttp.Info(resp).FromCache, body)
	if resp.StatusCode != 200 {
		return 5
	}
	return 0
}

func runChild(t *testing.T, dsn, target string, offline bool) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "CACHEDHTTP_CHILD_DSN="+dsn, "CACHEDHTTP_CHILD_URL="+target)
	if offline {
		cmd.Env = append(cmd.Env, "CACHEDHTTP_CHILD_OFFLINE=1")
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child process: %v\n%s%s", err, out, stderr.String())
	}
	if stderr.Len() > 0 {
		t.Logf("child stderr: %s", stderr.String())
	}
	return strings.TrimSpace(string(out))
}

// Two processes with their own Sessions on one shared store see each
// other's entries: what one stored, the other serves without the origin.
func TestSharedAcrossProcesses(t *testing.T) {
	var hits atomic.Int64
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Cache-Control", "max-age=600")
		fmt.Fprintf(w, "body of %s", r.URL.Path)
	}))
	defer origin.Close()
	ns := fmt.Sprintf("shared-%d", time.Now().UnixNano())

	stores := map[string]func(t *testing.T) string{
		"redis": func(t *testing.T) string {
			u, err := url.Parse(backendtest.Service(t, "CACHEDHTTP_REDIS_URL"))
			if err != nil {
				t.Fatal(err)
			}
			u.RawQuery = "prefix=" + ns + ":"
			return u.String()
		},
		"dynamodb": func(t *testing.T) string {
			ep := backendtest.Service(t, "CACHEDHTTP_DYNAMODB_URL")
			return "dynamodb://" + strings.ReplaceAll(ns, "-", "_") + "?create_table=true&region=us-east-1&endpoint=" + url.QueryEscape(ep)
		},
	}
	for name, dsnFor := range stores {
		t.Run(name, func(t *testing.T) {
			dsn := dsnFor(t)
			sess, err := cachedhttp.NewSession(cachedhttp.WithBackendDSN(dsn))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				sess.Close()
				if s, err := cachedhttp.NewSession(cachedhttp.WithBackendDSN(dsn)); err == nil {
					s.Clear(context.Background())
					s.Close()
				}
			})
			before := hits.Load()

			// The child stores /a; we serve it from the shared store.
			if out := runChild(t, dsn, origin.URL+"/"+name+"/a", false); out != "200 false body of /"+name+"/a" {
				t.Fatalf("child: %q", out)
			}
			resp, err := sess.Get(origin.URL + "/" + name + "/a")
			if err != nil {
				t.Fatal(err)
			}
			io.ReadAll(resp.Body)
			resp.Body.Close()
			if !cachedhttp.Info(resp).FromCache || hits.Load()-before != 1 {
				t.Fatalf("entry stored by the other process not served: %+v, origin hits %d", cachedhttp.Info(resp), hits.Load()-before)
			}

			// We store /b; the child, offline, serves it.
			resp, err = sess.Get(origin.URL + "/" + name + "/b")
			if err != nil {
				t.Fatal(err)
			}
			io.ReadAll(resp.Body)
			resp.Body.Close()
			sess.Close() // flush the write behind
			if out := runChild(t, dsn, origin.URL+"/"+name+"/b", true); out != "200 true body of /"+name+"/b" {
				t.Fatalf("child, offline: %q", out)
			}
			if hits.Load()-before != 2 {
				t.Fatalf("origin hits %d, want 2", hits.Load()-before)
			}
		})
	}
}
