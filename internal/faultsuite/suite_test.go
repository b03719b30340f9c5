package faultsuite_test

import (
	"context"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/backends/backendtest"
	"github.com/cachedhttp/cachedhttp/backends/dynamodb"
	"github.com/cachedhttp/cachedhttp/backends/gridfs"
	_ "github.com/cachedhttp/cachedhttp/backends/memcache"
	"github.com/cachedhttp/cachedhttp/backends/mongodb"
	_ "github.com/cachedhttp/cachedhttp/backends/redis"
	"github.com/cachedhttp/cachedhttp/internal/faultproxy"
	"github.com/cachedhttp/cachedhttp/internal/faultsuite"

	awsdynamodb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// WriteEnv names the variable that makes TestFaults write its table to
// RELIABILITY.md at the repository root.
const WriteEnv = "CACHEDHTTP_WRITE_RELIABILITY"

// run names this run's keys, collections and tables on the shared servers.
var run = strconv.FormatInt(time.Now().UnixNano()%(1<<40), 36)

// proxied returns a proxy in front of addr, closed when the test ends.
func proxied(t *testing.T, addr string) *faultproxy.Proxy {
	t.Helper()
	p, err := faultproxy.Start(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func hostOf(t *testing.T, rawURL string) string {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		t.Fatalf("service URL %q: %v", rawURL, err)
	}
	return u.Host
}

// needBinary fails under make test (or skips otherwise) when a server
// binary the suite runs itself is missing.
func needBinary(t *testing.T, bin string) {
	t.Helper()
	if _, err := exec.LookPath(bin); err != nil {
		if os.Getenv(backendtest.RequiredEnv) == "1" {
			t.Fatalf("%s not found but %s=1 (scripts/services.sh installs it)", bin, backendtest.RequiredEnv)
		}
		t.Skipf("skipping: %s not found (run `make services`)", bin)
	}
}

// A store of the matrix: how to build it, and how to clean up after it on a
// shared server.
type storeSpec struct {
	name   string
	faults []faultsuite.Fault
	build  func(t *testing.T) *faultsuite.Store
	clean  func(t *testing.T) // on the shared server, straight (no proxy)
}

// proxyFaults are the faults of a store behind proxies: refused, hung and
// slow before and after open (after open only with -short), and replies cut
// mid-frame.
func proxyFaults() []faultsuite.Fault {
	var fs []faultsuite.Fault
	whens := []bool{false, true}
	if testing.Short() {
		whens = whens[:1]
	}
	for _, before := range whens {
		fs = append(fs, faultsuite.Refused(before), faultsuite.Hung(before), faultsuite.Slow(2*time.Second, before))
	}
	return append(fs, faultsuite.CutReplies(5))
}

func specs() []storeSpec {
	prefix := "faults:" + run + ":"
	coll := "faults_" + run
	table := "faults-" + run
	openDirect := func(t *testing.T, dsn string) backends.Backend {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		b, err := backends.Open(ctx, dsn)
		if err != nil {
			t.Errorf("cleanup: open %s: %v", dsn, err)
			return nil
		}
		return b
	}
	clear := func(t *testing.T, dsn string) {
		if b := openDirect(t, dsn); b != nil {
			if err := b.Clear(context.Background()); err != nil {
				t.Errorf("cleanup: clear: %v", err)
			}
			b.Close()
		}
	}
	return []storeSpec{
		{name: "redis", faults: proxyFaults(),
			build: func(t *testing.T) *faultsuite.Store {
				p := proxied(t, hostOf(t, backendtest.Service(t, "CACHEDHTTP_REDIS_URL")))
				return &faultsuite.Store{Name: "redis", DSN: "redis://" + p.Addr() + "/0?prefix=" + url.QueryEscape(prefix), Proxies: []*faultproxy.Proxy{p}}
			},
			clean: func(t *testing.T) {
				clear(t, backendtest.Service(t, "CACHEDHTTP_REDIS_URL")+"?prefix="+url.QueryEscape(prefix))
			}},
		{name: "redis-cluster", faults: proxyFaults(),
			build: func(t *testing.T) *faultsuite.Store {
				needBinary(t, "redis-server")
				backendtest.Service(t, "CACHEDHTTP_REDIS_CLUSTER") // the shared cluster shows the binary works here
				var ps []*faultproxy.Proxy
				var announce [3]int
				var hosts []string
				for i := range announce {
					p := proxied(t, "127.0.0.1:1") // target set once the node runs
					ps = append(ps, p)
					announce[i] = p.Port()
					hosts = append(hosts, p.Addr())
				}
				for i, addr := range faultsuite.StartCluster(t, announce) {
					ps[i].SetTarget(addr)
				}
				return &faultsuite.Store{Name: "redis-cluster", Proxies: ps,
					DSN: "redis+cluster://" + strings.Join(hosts, ",") + "?prefix=" + url.QueryEscape(prefix)}
			}},
		{name: "redis-sentinel", faults: proxyFaults(),
			build: func(t *testing.T) *faultsuite.Store {
				needBinary(t, "redis-server")
				backendtest.Service(t, "CACHEDHTTP_REDIS_SENTINEL")
				primary := proxied(t, faultsuite.StartRedis(t).Addr())
				// The sentinel watches the primary through its proxy, so
				// it reports the proxy's address to clients.
				sentinel := proxied(t, faultsuite.StartSentinel(t, "faults", primary.Addr()).Addr())
				return &faultsuite.Store{Name: "redis-sentinel", Proxies: []*faultproxy.Proxy{sentinel, primary},
					DSN: "redis+sentinel://" + sentinel.Addr() + "/0?master=faults&prefix=" + url.QueryEscape(prefix)}
			}},
		{name: "memcache", faults: proxyFaults(),
			build: func(t *testing.T) *faultsuite.Store {
				p := proxied(t, backendtest.Service(t, "CACHEDHTTP_MEMCACHE"))
				return &faultsuite.Store{Name: "memcache", DSN: "memcache://" + p.Addr() + "?prefix=" + url.QueryEscape(prefix), Proxies: []*faultproxy.Proxy{p}}
			},
			clean: func(t *testing.T) {
				clear(t, "memcache://"+backendtest.Service(t, "CACHEDHTTP_MEMCACHE")+"?prefix="+url.QueryEscape(prefix))
			}},
		{name: "mongodb", faults: proxyFaults(),
			build: func(t *testing.T) *faultsuite.Store {
				p := proxied(t, hostOf(t, backendtest.Service(t, "CACHEDHTTP_MONGODB_URL")))
				return &faultsuite.Store{Name: "mongodb", DSN: "mongodb://" + p.Addr() + "/?collection=" + coll, Proxies: []*faultproxy.Proxy{p}}
			},
			clean: func(t *testing.T) {
				if b := openDirect(t, backendtest.Service(t, "CACHEDHTTP_MONGODB_URL")+"/?collection="+coll); b != nil {
					if err := b.(*mongodb.Backend).Collection().Drop(context.Background()); err != nil {
						t.Errorf("cleanup: drop %s: %v", coll, err)
					}
					b.Close()
				}
			}},
		{name: "gridfs", faults: proxyFaults(),
			build: func(t *testing.T) *faultsuite.Store {
				p := proxied(t, hostOf(t, backendtest.Service(t, "CACHEDHTTP_MONGODB_URL")))
				return &faultsuite.Store{Name: "gridfs", DSN: "gridfs://" + p.Addr() + "/?bucket=" + coll, Proxies: []*faultproxy.Proxy{p}}
			},
			clean: func(t *testing.T) {
				u := strings.Replace(backendtest.Service(t, "CACHEDHTTP_MONGODB_URL"), "mongodb://", "gridfs://", 1)
				if b := openDirect(t, u+"/?bucket="+coll); b != nil {
					if err := b.(*gridfs.Backend).Bucket().Drop(); err != nil {
						t.Errorf("cleanup: drop bucket %s: %v", coll, err)
					}
					b.Close()
				}
			}},
		{name: "dynamodb", faults: proxyFaults(),
			build: func(t *testing.T) *faultsuite.Store {
				p := proxied(t, hostOf(t, backendtest.Service(t, "CACHEDHTTP_DYNAMODB_URL")))
				return &faultsuite.Store{Name: "dynamodb", Proxies: []*faultproxy.Proxy{p},
					DSN: "dynamodb://" + table + "?create_table=true&endpoint=" + url.QueryEscape("http://"+p.Addr())}
			},
			clean: func(t *testing.T) {
				dsn := "dynamodb://" + table + "?endpoint=" + url.QueryEscape(backendtest.Service(t, "CACHEDHTTP_DYNAMODB_URL"))
				if b := openDirect(t, dsn); b != nil {
					_, err := b.(*dynamodb.Backend).Client().DeleteTable(context.Background(), &awsdynamodb.DeleteTableInput{TableName: &table})
					if err != nil {
						t.Errorf("cleanup: delete table %s: %v", table, err)
					}
					b.Close()
				}
			}},
		{name: "redis (own server)", faults: []faultsuite.Fault{faultsuite.Stopped()},
			build: func(t *testing.T) *faultsuite.Store {
				needBinary(t, "redis-server")
				s := faultsuite.StartRedis(t)
				return &faultsuite.Store{Name: "redis (own server)", Server: s, DSN: "redis://" + s.Addr() + "/0?prefix=" + url.QueryEscape(prefix)}
			}},
		{name: "memcache (own server)", faults: []faultsuite.Fault{faultsuite.Stopped()},
			build: func(t *testing.T) *faultsuite.Store {
				needBinary(t, "memcached")
				s := faultsuite.StartMemcached(t)
				return &faultsuite.Store{Name: "memcache (own server)", Server: s, DSN: "memcache://" + s.Addr() + "?prefix=" + url.QueryEscape(prefix)}
			}},
	}
}

// TestFaults runs every store under every fault through a Transport and
// checks the criteria: no error reaches the caller, the caller's
// deadline holds (hang detection only), Close returns, nothing is written
// to standard error, no stored entry is lost or served wrong, and caching
// resumes after recovery. It prints the table and, with
// CACHEDHTTP_WRITE_RELIABILITY=1, writes it to RELIABILITY.md.
func TestFaults(t *testing.T) {
	origin := faultsuite.NewOrigin(t)
	cfg := faultsuite.Defaults()
	var results []faultsuite.Result
	for _, sp := range specs() {
		t.Run(sp.name, func(t *testing.T) {
			s := sp.build(t)
			if sp.clean != nil {
				t.Cleanup(func() { sp.clean(t) })
			}
			for _, f := range sp.faults {
				t.Run(f.Name, func(t *testing.T) {
					r := faultsuite.Run(t, origin, s, f, cfg)
					results = append(results, r)
					check(t, r, f)
				})
			}
		})
	}
	table := faultsuite.Markdown(results)
	t.Logf("\n%s", table)
	if os.Getenv(WriteEnv) == "1" {
		path := filepath.Join("..", "..", "RELIABILITY.md")
		if err := os.WriteFile(path, []byte(faultsuite.Document(table, cfg)), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", path)
	}
}

func check(t *testing.T, r faultsuite.Result, f faultsuite.Fault) {
	t.Helper()
	if r.Errors != 0 {
		t.Errorf("%d of %d requests returned an error to the caller", r.Errors, r.Requests)
	}
	if r.Wrong != 0 {
		t.Errorf("%d responses had a body that was not the origin's", r.Wrong)
	}
	if r.Hangs != 0 {
		t.Errorf("%d calls outlived the hang guard (the caller's deadline was not honoured, or Close did not return)", r.Hangs)
	}
	if r.Stderr != 0 {
		t.Errorf("%d bytes written to standard error; the first:\n%.600s", r.Stderr, r.StderrText)
	}
	if !r.Resumed {
		t.Errorf("caching did not resume after recovery")
	}
	if !f.Restart && r.Lost > 0 {
		t.Errorf("%d stored responses lost", r.Lost)
	}
	for _, p := range r.Problems {
		t.Log(p)
	}
	if t.Failed() {
		for _, l := range r.Log {
			t.Log("log: " + l)
		}
		t.Logf("requests %d, errors %d, p50 %v, p99 %v, max %v, lost %d, wrong %d, open %v, close %v (dropped %d), resumed %v after %v, breaker opened %d times",
			r.Requests, r.Errors, r.P50, r.P99, r.Max, r.Lost, r.Wrong, r.Open, r.Close, r.Dropped, r.Resumed, r.ResumeAfter, r.BreakerOpens)
	}
}
