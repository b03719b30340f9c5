package memcache_test

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	gomemcache "github.com/bradfitz/gomemcache/memcache"

	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/backends/backendtest"
	"github.com/cachedhttp/cachedhttp/backends/memcache"
)

// servers returns the memcached servers the tests use, skipping (or failing
// under make test) when none is configured.
func servers(t testing.TB) []string {
	t.Helper()
	return strings.Split(backendtest.Service(t, "CACHEDHTTP_MEMCACHE"), ",")
}

// uniquePrefix returns a fresh namespace so that tests sharing a server do
// not see each other's keys.
func uniquePrefix(t testing.TB) string {
	t.Helper()
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "cht:" + hex.EncodeToString(b[:]) + ":"
}

// newBackend returns a Backend on srv with opts (a fresh prefix when
// opts.Prefix is empty), cleared and closed when the test ends.
func newBackend(t testing.TB, srv []string, opts memcache.Options) *memcache.Backend {
	t.Helper()
	if opts.Prefix == "" {
		opts.Prefix = uniquePrefix(t)
	}
	b, err := memcache.New(srv, opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		if c, err := memcache.New(srv, opts); err == nil {
			_ = c.Clear(context.Background())
			_ = c.Close()
		}
		_ = b.Close()
	})
	return b
}

func factory(t *testing.T) backends.Backend {
	t.Helper()
	return newBackend(t, servers(t), memcache.Options{})
}

// raw returns a plain gomemcache client on srv, to look behind the backend.
func raw(t testing.TB, srv ...string) *gomemcache.Client {
	t.Helper()
	c := gomemcache.New(srv...)
	c.Timeout = 5 * time.Second
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// metaTTL asks server addr for the remaining TTL of item key with the meta
// command "mg KEY t" (memcached 1.6): -1 means no expiry.
func metaTTL(t testing.TB, addr, key string) int {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := fmt.Fprintf(conn, "mg %s t\r\n", key); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	var ttl int
	if _, err := fmt.Sscanf(line, "HD t%d", &ttl); err != nil {
		t.Fatalf("mg %s t answered %q", key, line)
	}
	return ttl
}
