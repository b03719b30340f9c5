package kv_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"path/filepath"
	"testing"
	"time"

	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/backends/backendtest"
	_ "github.com/cachedhttp/cachedhttp/backends/bbolt"
	_ "github.com/cachedhttp/cachedhttp/backends/filesystem"
	_ "github.com/cachedhttp/cachedhttp/backends/memcache"
	"github.com/cachedhttp/cachedhttp/backends/memory"
	_ "github.com/cachedhttp/cachedhttp/backends/redis"
)

// store is one backend the kv tests run over.
type store struct {
	name string
	// atomic says whether the store implements backends.Adder and
	// backends.Incrementer.
	atomic bool
	// granularity is the smallest ttl the store honours.
	granularity time.Duration
	open        func(t testing.TB) backends.Backend
}

// unique returns a fresh name part so that tests sharing a server do not
// see each other's keys.
func unique() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// openDSN opens dsn, clearing and closing the store at cleanup.
func openDSN(t testing.TB, dsn string) backends.Backend {
	t.Helper()
	b, err := backends.Open(t.Context(), dsn)
	if err != nil {
		t.Fatalf("open %s: %v", dsn, err)
	}
	t.Cleanup(func() {
		_ = b.Clear(context.Background())
		_ = b.Close()
	})
	return b
}

// plain hides the atomic interfaces of the backend it wraps, so that a
// Cache over it emulates Add and Inc.
type plain struct{ backends.Backend }

var stores = []store{
	{name: "memory", atomic: true, open: func(t testing.TB) backends.Backend { return openDSN(t, "memory://") }},
	{name: "bbolt", atomic: true, open: func(t testing.TB) backends.Backend {
		return openDSN(t, "bbolt://"+filepath.Join(t.TempDir(), "kv.db")+"?nosync=true")
	}},
	{name: "filesystem", atomic: true, open: func(t testing.TB) backends.Backend { return openDSN(t, "file://"+t.TempDir()) }},
	{name: "redis", atomic: true, open: func(t testing.TB) backends.Backend {
		return openDSN(t, backendtest.Service(t, "CACHEDHTTP_REDIS_URL")+"?prefix=kvtest:"+unique()+":")
	}},
	{name: "memcache", atomic: true, granularity: time.Second, open: func(t testing.TB) backends.Backend {
		return openDSN(t, "memcache://"+backendtest.Service(t, "CACHEDHTTP_MEMCACHE")+"?prefix=kvtest:"+unique()+":")
	}},
	{name: "emulated (memory without Adder and Incrementer)", open: func(t testing.TB) backends.Backend {
		return plain{memory.New(memory.Options{})}
	}},
}

// forEachStore runs test as a sub-test per store.
func forEachStore(t *testing.T, test func(t *testing.T, s store)) {
	for _, s := range stores {
		t.Run(s.name, func(t *testing.T) { test(t, s) })
	}
}

// closedBackend returns a memory backend already closed.
func closedBackend(t testing.TB) backends.Backend {
	t.Helper()
	b := memory.New(memory.Options{})
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	return b
}
