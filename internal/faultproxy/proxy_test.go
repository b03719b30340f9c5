package faultproxy_test

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/cachedhttp/cachedhttp/internal/faultproxy"
)

// hangGuard is how long a test waits for something that must happen; it
// only detects hangs (the machine is shared: no timing assertions).
const hangGuard = 10 * time.Second

// server starts a TCP server on loopback running handle for each
// connection.
func server(t *testing.T, handle func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); handle(c) }()
		}
	}()
	return ln.Addr().String()
}

func echo(c net.Conn) { io.Copy(c, c) }

func start(t *testing.T, target string) *faultproxy.Proxy {
	t.Helper()
	p, err := faultproxy.Start(target)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, hangGuard)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// roundTrip writes msg and reads as many bytes back.
func roundTrip(c net.Conn, msg string, deadline time.Duration) (string, error) {
	c.SetDeadline(time.Now().Add(deadline))
	defer c.SetDeadline(time.Time{})
	if _, err := c.Write([]byte(msg)); err != nil {
		return "", err
	}
	buf := make([]byte, len(msg))
	n, err := io.ReadFull(c, buf)
	return string(buf[:n]), err
}

func mustEcho(t *testing.T, c net.Conn, msg string) {
	t.Helper()
	got, err := roundTrip(c, msg, hangGuard)
	if err != nil || got != msg {
		t.Fatalf("echo of %q: got %q, %v", msg, got, err)
	}
}

func set(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestPassForwardsBothWays(t *testing.T) {
	p := start(t, server(t, echo))
	c := dial(t, p.Addr())
	mustEcho(t, c, "hello")
	big := string(bytes.Repeat([]byte("0123456789"), 20000)) // several chunks
	mustEcho(t, c, big)
	if p.Accepted() != 1 || p.Mode() != faultproxy.Pass {
		t.Fatalf("accepted %d, mode %v", p.Accepted(), p.Mode())
	}
}

func TestRefuseRefusesNewConnectionsAndResetsOpenOnes(t *testing.T) {
	p := start(t, server(t, echo))
	open := dial(t, p.Addr())
	mustEcho(t, open, "before")

	set(t, p.Refuse())
	if _, err := net.DialTimeout("tcp", p.Addr(), hangGuard); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("dial while refusing: %v, want ECONNREFUSED", err)
	}
	open.SetReadDeadline(time.Now().Add(hangGuard))
	if n, err := open.Read(make([]byte, 1)); err == nil || os.IsTimeout(err) {
		t.Fatalf("read on a link open before Refuse: %d bytes, %v; want it reset", n, err)
	}

	// The same address serves again.
	set(t, p.Pass())
	mustEcho(t, dial(t, p.Addr()), "after")
}

func TestHangHoldsNewAndOpenLinksUntilReleased(t *testing.T) {
	p := start(t, server(t, echo))
	open := dial(t, p.Addr())
	mustEcho(t, open, "before")

	set(t, p.Hang())
	fresh := dial(t, p.Addr()) // accepted: a hung server still accepts
	for _, c := range []net.Conn{open, fresh} {
		got, err := roundTrip(c, "held", 200*time.Millisecond)
		if !os.IsTimeout(err) {
			t.Fatalf("round trip while hung: %q, %v; want a timeout", got, err)
		}
	}
	if p.Links() != 2 {
		t.Fatalf("links while hung: %d, want 2", p.Links())
	}

	// Released, the held bytes arrive, and the links work on.
	set(t, p.Pass())
	for _, c := range []net.Conn{open, fresh} {
		c.SetReadDeadline(time.Now().Add(hangGuard))
		buf := make([]byte, 4)
		if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "held" {
			t.Fatalf("held bytes after release: %q, %v", buf, err)
		}
		mustEcho(t, c, "after")
	}
}

func TestDelayHoldsEachChunk(t *testing.T) {
	p := start(t, server(t, echo))
	c := dial(t, p.Addr())
	const d = 50 * time.Millisecond
	set(t, p.Delay(d))
	begin := time.Now()
	mustEcho(t, c, "slow")
	// A lower bound only: the chunk waits d on its way in and d on its way
	// out, whatever the load.
	if took := time.Since(begin); took < 2*d {
		t.Fatalf("round trip took %v under a %v delay per direction", took, d)
	}
	if err := p.Delay(0); err == nil {
		t.Fatal("Delay(0) accepted")
	}
}

func TestResetAfterCutsTheReplyMidFrame(t *testing.T) {
	reply := bytes.Repeat([]byte("r"), 100)
	p := start(t, server(t, func(c net.Conn) {
		if _, err := c.Read(make([]byte, 1)); err == nil {
			c.Write(reply)
			io.Copy(io.Discard, c)
		}
	}))
	for _, k := range []int{0, 10, 99} {
		set(t, p.ResetAfter(k))
		c := dial(t, p.Addr())
		c.SetDeadline(time.Now().Add(hangGuard))
		if _, err := c.Write([]byte("?")); err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(c)
		if len(got) != k || !errors.Is(err, syscall.ECONNRESET) {
			t.Fatalf("k=%d: read %d bytes, %v; want %d bytes then ECONNRESET", k, len(got), err, k)
		}
	}
	if err := p.ResetAfter(-1); err == nil {
		t.Fatal("ResetAfter(-1) accepted")
	}
	// Back to Pass, the whole reply comes through.
	set(t, p.Pass())
	c := dial(t, p.Addr())
	c.SetDeadline(time.Now().Add(hangGuard))
	c.Write([]byte("?"))
	buf := make([]byte, len(reply))
	if _, err := io.ReadFull(c, buf); err != nil {
		t.Fatal(err)
	}
}

func TestUnreachableTargetResetsTheClient(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := ln.Addr().String()
	ln.Close()
	p := start(t, server(t, echo))
	p.SetTarget(dead)
	if p.Target() != dead {
		t.Fatalf("target %q", p.Target())
	}
	// The reset may come before the client's connect completes.
	c, err := net.DialTimeout("tcp", p.Addr(), hangGuard)
	if err == nil {
		defer c.Close()
		var got string
		got, err = roundTrip(c, "x", hangGuard)
		if err == nil {
			t.Fatalf("round trip to a dead target: %q", got)
		}
	}
	if os.IsTimeout(err) {
		t.Fatalf("to a dead target: %v; want the link closed at once", err)
	}
}

func TestCloseEndsEverything(t *testing.T) {
	p := start(t, server(t, echo))
	c := dial(t, p.Addr())
	set(t, p.Hang())
	dial(t, p.Addr())
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(hangGuard))
	if _, err := c.Read(make([]byte, 1)); err == nil || os.IsTimeout(err) {
		t.Fatalf("read after Close: %v", err)
	}
	for name, err := range map[string]error{"Pass": p.Pass(), "Close": p.Close()} {
		if !errors.Is(err, faultproxy.ErrClosed) {
			t.Fatalf("%s after Close: %v", name, err)
		}
	}
}

func TestModeNames(t *testing.T) {
	for m, want := range map[faultproxy.Mode]string{faultproxy.Pass: "pass", faultproxy.Refuse: "refuse",
		faultproxy.Hang: "hang", faultproxy.Delay: "delay", faultproxy.Reset: "reset", 9: "Mode(9)"} {
		if m.String() != want {
			t.Fatalf("%d: %q", int(m), m.String())
		}
	}
}
