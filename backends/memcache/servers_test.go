package memcache_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"testing"
	"time"

	gomemcache "github.com/bradfitz/gomemcache/memcache"

	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/backends/backendtest"
	"github.com/cachedhttp/cachedhttp/backends/memcache"
)

// secondServer starts a memcached of its own on a free port and stops it
// when the test ends. Without the memcached binary the test is skipped: it
// is the one server make test does not provide.
func secondServer(t *testing.T) (addr string, stop func()) {
	t.Helper()
	bin, err := exec.LookPath("memcached")
	if err != nil {
		if os.Getenv(backendtest.RequiredEnv) == "1" {
			t.Fatalf("no memcached binary to start a second server, but %s=1: %v", backendtest.RequiredEnv, err)
		}
		t.Skip("skipping: no memcached binary to start a second server (make test installs it)")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	args := []string{"-l", "127.0.0.1", "-p", strconv.Itoa(port), "-U", "0", "-m", "64", "-I", "1m"}
	if os.Geteuid() == 0 {
		// memcached refuses to run as root.
		name := "memcache"
		if _, err := user.Lookup(name); err != nil {
			name = "nobody"
		}
		args = append(args, "-u", name)
	}
	cmd := exec.Command(bin, args...)
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	stopped := false
	stop = func() {
		if !stopped {
			stopped = true
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	}
	t.Cleanup(stop)
	addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	deadline := time.Now().Add(10 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			_ = conn.SetDeadline(time.Now().Add(time.Second))
			_, _ = conn.Write([]byte("version\r\n"))
			line, _ := bufio.NewReader(conn).ReadString('\n')
			_ = conn.Close()
			if len(line) > 7 && line[:7] == "VERSION" {
				return addr, stop
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("memcached on %s did not answer version within 10s: %v", addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestTwoServers(t *testing.T) {
	first := servers(t)[0]
	second, stop := secondServer(t)
	srv := []string{first, second}
	b := newBackend(t, srv, memcache.Options{})
	ctx := t.Context()
	byServer := map[string]*gomemcache.Client{first: raw(t, first), second: raw(t, second)}
	var sl gomemcache.ServerList
	if err := sl.SetServers(srv...); err != nil {
		t.Fatal(err)
	}

	const n = 200
	for i := range n {
		if err := b.Set(ctx, fmt.Sprintf("k%d", i), []byte(strconv.Itoa(i)), 0); err != nil {
			t.Fatalf("Set: %v", err)
		}
	}
	big := pattern(9, 3<<20)
	if err := b.Set(ctx, "big", big, 0); err != nil {
		t.Fatalf("Set of 3 MiB: %v", err)
	}

	t.Run("every item lives on the server ServerList picks, and both are used", func(t *testing.T) {
		held := map[string]int{}
		check := func(item string) {
			want, err := sl.PickServer(item)
			if err != nil {
				t.Fatal(err)
			}
			for addr, c := range byServer {
				_, err := c.Get(item)
				has := err == nil
				if has != (addr == want.String()) {
					t.Errorf("item %s on %s: present=%v; ServerList picks %s", item, addr, has, want)
				}
				if has {
					held[addr]++
				}
			}
		}
		for i := range n {
			items, err := b.Items(ctx, fmt.Sprintf("k%d", i))
			if err != nil {
				t.Fatal(err)
			}
			check(items[0])
		}
		items, err := b.Items(ctx, "big")
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range items {
			check(it)
		}
		for addr := range byServer {
			if held[addr] == 0 {
				t.Errorf("server %s holds none of the items (%v)", addr, held)
			}
		}
	})
	t.Run("get, scan and clear span both servers", func(t *testing.T) {
		if v, err := b.Get(ctx, "big"); err != nil || !bytes.Equal(v, big) {
			t.Fatalf("Get(big) = %d bytes, %v", len(v), err)
		}
		seen := 0
		for _, err := range b.Scan(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			seen++
		}
		if seen != n+1 {
			t.Errorf("Scan yielded %d keys; want %d", seen, n+1)
		}
		if err := b.Clear(ctx); err != nil {
			t.Fatal(err)
		}
		for i := range n {
			if _, err := b.Get(ctx, fmt.Sprintf("k%d", i)); !errors.Is(err, backends.ErrNotFound) {
				t.Fatalf("Get(k%d) after Clear = %v; want ErrNotFound", i, err)
			}
		}
	})
	t.Run("a server going down gives errors or misses, never other data", func(t *testing.T) {
		for i := range n {
			if err := b.Set(ctx, fmt.Sprintf("k%d", i), []byte(strconv.Itoa(i)), 0); err != nil {
				t.Fatalf("Set: %v", err)
			}
		}
		stop()
		failed := 0
		for i := range n {
			v, err := b.Get(ctx, fmt.Sprintf("k%d", i))
			if err != nil {
				failed++
				continue
			}
			if string(v) != strconv.Itoa(i) {
				t.Errorf("Get(k%d) = %q with a server down", i, v)
			}
		}
		if failed == 0 {
			t.Error("every Get succeeded with one of two servers down")
		}
	})
}
