package bench

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	bvcache "github.com/bartventer/httpcache"
	_ "github.com/bartventer/httpcache/store/fscache"  // registers fscache://
	_ "github.com/bartventer/httpcache/store/memcache" // registers memcache://
	gjcache "github.com/gregjones/httpcache"
	"github.com/gregjones/httpcache/diskcache"
	"github.com/gregjones/httpcache/leveldbcache"
	"github.com/syndtr/goleveldb/leveldb"

	"github.com/cachedhttp/cachedhttp"
	"github.com/cachedhttp/cachedhttp/backends"
	chbbolt "github.com/cachedhttp/cachedhttp/backends/bbolt"
	"github.com/cachedhttp/cachedhttp/backends/memory"
	_ "github.com/cachedhttp/cachedhttp/backends/redis" // registers redis://
)

// impl is one way of sending requests: a cache and its store, or the plain
// transport (the control).
type impl struct {
	name  string
	cache bool // false for the control, which stores nothing
	disk  bool // stores in files (Storage reports bytes on disk)
	open  func(tb testing.TB) *instance
	// compact, when set, rewrites the closed store in dir without free
	// space, as its maintenance command does (Storage reports the bytes
	// after it too).
	compact func(tb testing.TB, dir string)
}

// instance is an opened impl.
type instance struct {
	client *http.Client
	// dir holds the store's files, for disk-backed stores.
	dir string
	// settle makes everything stored so far land in the store, so that
	// later requests read it from there as they would long after it was
	// written (cachedhttp writes behind the caller: settle closes the
	// Transport, which flushes, and opens a new one over the same store).
	settle func(tb testing.TB)
	// close releases everything; it is idempotent and also registered as
	// a cleanup.
	close func() error
	// stored settles and counts the entries in the store; nil for the
	// peers, whose stores have no common way to list what they hold.
	stored func(tb testing.TB) int
}

// newBase returns the transport every impl sends its origin requests
// through: the default settings, with enough idle connections that the
// concurrent benchmarks do not churn connections.
func newBase() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 512
	t.MaxIdleConnsPerHost = 512
	return t
}

func newInstance(tb testing.TB, rt http.RoundTripper, base *http.Transport, closeFn func() error) *instance {
	var once sync.Once
	var err error
	inst := &instance{
		client: &http.Client{Transport: rt},
		settle: func(testing.TB) {},
	}
	inst.close = func() error {
		once.Do(func() {
			if closeFn != nil {
				err = closeFn()
			}
			base.CloseIdleConnections()
		})
		return err
	}
	tb.Cleanup(func() { _ = inst.close() })
	return inst
}

// scoped is the testing.TB an instance shared by the runs of one
// sub-benchmark is opened with: failures go to the current run, but the
// temporary directories and cleanups belong to the parent benchmark, since
// the testing package runs a benchmark's cleanups after each of its runs.
type scoped struct {
	*testing.B
	parent *testing.B
}

func (s scoped) Cleanup(f func()) { s.parent.Cleanup(f) }
func (s scoped) TempDir() string  { return s.parent.TempDir() }

// cachedhttpImpl opens a cachedhttp Transport over the backend newBackend
// returns; cleanup (may be nil) runs before the backend is closed.
func cachedhttpImpl(name string, disk bool, newBackend func(tb testing.TB, dir string) (backends.Backend, func() error)) impl {
	return impl{name: name, cache: true, disk: disk, open: func(tb testing.TB) *instance {
		dir := tb.TempDir()
		be, cleanup := newBackend(tb, dir)
		base := newBase()
		newT := func() *cachedhttp.Transport {
			t, err := cachedhttp.NewTransport(cachedhttp.WithBackend(be), cachedhttp.WithTransport(base))
			if err != nil {
				tb.Fatal(err)
			}
			return t
		}
		t := newT()
		inst := newInstance(tb, t, base, func() error {
			err := t.Close()
			if cleanup != nil {
				err = errors.Join(err, cleanup())
			}
			return errors.Join(err, be.Close())
		})
		inst.dir = dir
		inst.settle = func(tb testing.TB) {
			if err := t.Close(); err != nil {
				tb.Fatal(err)
			}
			t = newT()
			inst.client.Transport = t
		}
		inst.stored = func(tb testing.TB) int {
			inst.settle(tb)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			n := 0
			for _, err := range be.Scan(ctx) {
				if err != nil {
					tb.Fatalf("scan %s: %v", name, err)
				}
				n++
			}
			return n
		}
		return inst
	}}
}

var (
	implMemory = cachedhttpImpl("cachedhttp-memory", false, func(testing.TB, string) (backends.Backend, func() error) {
		// Unbounded, as the peers are: every miss is kept (the default
		// 64 MiB bound would start evicting after about 45,000 misses).
		return memory.New(memory.Options{MaxBytes: -1}), nil
	})
	implBbolt = withCompact(cachedhttpImpl("cachedhttp-bbolt", true, func(tb testing.TB, dir string) (backends.Backend, func() error) {
		be, err := chbbolt.Open(filepath.Join(dir, "cache.db"), nil)
		if err != nil {
			tb.Fatal(err)
		}
		return be, nil
	}), func(tb testing.TB, dir string) {
		// What `cachedhttp purge --compact` does to the file.
		if _, err := chbbolt.Compact(context.Background(), filepath.Join(dir, "cache.db"), nil); err != nil {
			tb.Fatal(err)
		}
	})
	implRedis = cachedhttpImpl("cachedhttp-redis", false, func(tb testing.TB, _ string) (backends.Backend, func() error) {
		raw := os.Getenv("CACHEDHTTP_REDIS_URL")
		if raw == "" {
			tb.Skip("CACHEDHTTP_REDIS_URL is not set: skipping the redis variant")
		}
		u, err := url.Parse(raw)
		if err != nil {
			tb.Fatalf("CACHEDHTTP_REDIS_URL: %v", err)
		}
		q := u.Query()
		q.Set("prefix", fmt.Sprintf("cachedhttp-bench:%d:%d:", os.Getpid(), next()))
		u.RawQuery = q.Encode()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		be, err := backends.Open(ctx, u.String())
		if err != nil {
			tb.Fatalf("open redis: %v", err)
		}
		if _, err := be.Get(ctx, "ping"); err != nil && !errors.Is(err, backends.ErrNotFound) {
			be.Close()
			tb.Skipf("redis at %s is not reachable (%v): skipping the redis variant", u.Host, err)
		}
		return be, func() error {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := be.Clear(ctx); err != nil {
				return fmt.Errorf("clear redis prefix: %w", err)
			}
			return nil
		}
	})

	implGJMemory = impl{name: "gregjones-memory", cache: true, open: func(tb testing.TB) *instance {
		base := newBase()
		t := gjcache.NewMemoryCacheTransport()
		t.Transport = base
		return newInstance(tb, t, base, nil)
	}}
	implGJDisk = impl{name: "gregjones-diskcache", cache: true, disk: true, open: func(tb testing.TB) *instance {
		dir := tb.TempDir()
		base := newBase()
		t := gjcache.NewTransport(diskcache.New(dir))
		t.Transport = base
		inst := newInstance(tb, t, base, nil)
		inst.dir = dir
		return inst
	}}
	implGJLevel = impl{name: "gregjones-leveldb", cache: true, disk: true, open: func(tb testing.TB) *instance {
		dir := tb.TempDir()
		db, err := leveldb.OpenFile(dir, nil)
		if err != nil {
			tb.Fatal(err)
		}
		base := newBase()
		t := gjcache.NewTransport(leveldbcache.NewWithDB(db))
		t.Transport = base
		inst := newInstance(tb, t, base, db.Close)
		inst.dir = dir
		return inst
	}}

	implBVMemory = impl{name: "bartventer-memory", cache: true, open: func(tb testing.TB) *instance {
		base := newBase()
		t := bvcache.NewTransport("memcache://", bvcache.WithUpstream(base))
		return newInstance(tb, t, base, nil)
	}}
	implBVFile = impl{name: "bartventer-file", cache: true, disk: true, open: func(tb testing.TB) *instance {
		dir := tb.TempDir()
		base := newBase()
		t := bvcache.NewTransport("fscache://"+dir+"?appname=bench", bvcache.WithUpstream(base))
		inst := newInstance(tb, t, base, nil)
		inst.dir = dir
		return inst
	}}

	implControl = impl{name: "control", open: func(tb testing.TB) *instance {
		base := newBase()
		return newInstance(tb, base, base, nil)
	}}
)

// withCompact returns im with its compact function set.
func withCompact(im impl, compact func(tb testing.TB, dir string)) impl {
	im.compact = compact
	return im
}

// extraImpls are cachedhttp variants whose packages register themselves
// from other files of this package (filesystem, once it exists).
var extraImpls []impl

// cacheImpls returns every cache, cachedhttp's first.
func cacheImpls() []impl {
	out := []impl{implMemory, implBbolt}
	out = append(out, extraImpls...)
	out = append(out, implRedis, implGJMemory, implGJDisk, implGJLevel, implBVMemory, implBVFile)
	return out
}

// allImpls returns every cache and the control.
func allImpls() []impl { return append(cacheImpls(), implControl) }
