package faultproxy

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Mode is what a Proxy does to the connections it forwards.
type Mode int

// The modes; see the package documentation.
const (
	Pass Mode = iota
	Refuse
	Hang
	Delay
	Reset
)

func (m Mode) String() string {
	switch m {
	case Pass:
		return "pass"
	case Refuse:
		return "refuse"
	case Hang:
		return "hang"
	case Delay:
		return "delay"
	case Reset:
		return "reset"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// DialTimeout bounds the proxy's own connection to its target. A link whose
// target cannot be reached is reset.
const DialTimeout = 2 * time.Second

// Proxy forwards TCP connections from its address to a target, with faults
// switched at run time. It is safe for concurrent use.
type Proxy struct {
	addr string

	mu      sync.Mutex
	target  string
	mode    Mode
	delay   time.Duration // Delay
	after   int           // Reset: bytes forwarded to the client per link
	gen     uint64        // counts mode changes; a link restarts its Reset count on a new one
	changed chan struct{} // closed and replaced on every change
	ln      net.Listener  // nil while refusing
	links   map[*link]struct{}
	closed  bool

	wg       sync.WaitGroup
	accepted atomic.Int64
}

// Start returns a Proxy in Pass mode listening on a free port of 127.0.0.1
// and forwarding to target (host:port).
func Start(target string) (*Proxy, error) {
	return Listen("127.0.0.1:0", target)
}

// Listen returns a Proxy in Pass mode listening on addr and forwarding to
// target.
func Listen(addr, target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("faultproxy: listen %s: %w", addr, err)
	}
	p := &Proxy{
		addr:    ln.Addr().String(),
		target:  target,
		changed: make(chan struct{}),
		ln:      ln,
		links:   map[*link]struct{}{},
	}
	p.wg.Add(1)
	go p.accept(ln)
	return p, nil
}

// Addr returns the address the proxy listens on (host:port), the same in
// every mode.
func (p *Proxy) Addr() string { return p.addr }

// Port returns the port of Addr.
func (p *Proxy) Port() int {
	_, port, _ := net.SplitHostPort(p.addr)
	var n int
	fmt.Sscan(port, &n)
	return n
}

// Target returns the address connections are forwarded to.
func (p *Proxy) Target() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.target
}

// SetTarget changes where new links are forwarded; open links keep their
// server.
func (p *Proxy) SetTarget(target string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.target = target
}

// Mode returns the current mode.
func (p *Proxy) Mode() Mode {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.mode
}

// Accepted returns how many connections the proxy has accepted.
func (p *Proxy) Accepted() int64 { return p.accepted.Load() }

// Links returns how many accepted connections are open.
func (p *Proxy) Links() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.links)
}

// Pass forwards traffic unchanged; links held by Hang or Delay go on.
func (p *Proxy) Pass() error { return p.set(Pass, 0, 0) }

// Refuse closes the listener and resets every open link.
func (p *Proxy) Refuse() error { return p.set(Refuse, 0, 0) }

// Hang stops forwarding on every link, open and new, until the mode
// changes.
func (p *Proxy) Hang() error { return p.set(Hang, 0, 0) }

// Delay holds each chunk, in either direction, for d before forwarding it.
func (p *Proxy) Delay(d time.Duration) error {
	if d <= 0 {
		return fmt.Errorf("faultproxy: delay %v: want a duration > 0", d)
	}
	return p.set(Delay, d, 0)
}

// ResetAfter forwards at most k bytes from the server to the client on
// each link from now on, then resets the link (both sides). A k of zero
// resets a link at the first byte the server sends.
func (p *Proxy) ResetAfter(k int) error {
	if k < 0 {
		return fmt.Errorf("faultproxy: reset after %d bytes: want k >= 0", k)
	}
	return p.set(Reset, 0, k)
}

func (p *Proxy) set(m Mode, d time.Duration, k int) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return ErrClosed
	}
	if m == Refuse {
		if p.ln != nil {
			p.ln.Close()
			p.ln = nil
		}
		for l := range p.links {
			l.reset()
		}
	} else if p.ln == nil {
		ln, err := net.Listen("tcp", p.addr)
		if err != nil {
			return fmt.Errorf("faultproxy: listen again on %s: %w", p.addr, err)
		}
		p.ln = ln
		p.wg.Add(1)
		go p.accept(ln)
	}
	p.mode, p.delay, p.after = m, d, k
	p.gen++
	close(p.changed)
	p.changed = make(chan struct{})
	return nil
}

// Close stops the proxy: the listener closes and every link is reset. It
// waits for the proxy's goroutines.
func (p *Proxy) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return ErrClosed
	}
	p.closed = true
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for l := range p.links {
		l.reset()
	}
	close(p.changed)
	p.changed = make(chan struct{})
	p.mu.Unlock()
	p.wg.Wait()
	return nil
}

// state is a snapshot of the mode for one decision.
type state struct {
	mode    Mode
	delay   time.Duration
	after   int
	gen     uint64
	changed <-chan struct{}
	closed  bool
}

func (p *Proxy) state() state {
	p.mu.Lock()
	defer p.mu.Unlock()
	return state{p.mode, p.delay, p.after, p.gen, p.changed, p.closed}
}

func (p *Proxy) accept(ln net.Listener) {
	defer p.wg.Done()
	for {
		c, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return
		}
		p.accepted.Add(1)
		l := &link{client: c, done: make(chan struct{})}
		p.mu.Lock()
		if p.closed || p.mode == Refuse {
			p.mu.Unlock()
			l.reset()
			continue
		}
		p.links[l] = struct{}{}
		p.wg.Add(1)
		p.mu.Unlock()
		go p.serve(l)
	}
}

// link is one accepted connection and, once dialed, its server connection.
type link struct {
	client net.Conn
	done   chan struct{} // closed by reset

	mu       sync.Mutex
	server   net.Conn
	resetted bool

	// Reset accounting, touched by the downstream pump only.
	gen  uint64
	down int
}

// reset closes both connections with RST (SO_LINGER 0).
func (l *link) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.resetted {
		return
	}
	l.resetted = true
	close(l.done)
	abort(l.client)
	if l.server != nil {
		abort(l.server)
	}
}

func abort(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	c.Close()
}

func (p *Proxy) serve(l *link) {
	defer p.wg.Done()
	defer func() {
		l.reset()
		p.mu.Lock()
		delete(p.links, l)
		p.mu.Unlock()
	}()
	// A hung server accepts but does not answer: connect only once the
	// proxy stops hanging.
	for {
		s := p.state()
		if s.closed {
			return
		}
		if s.mode != Hang {
			break
		}
		select {
		case <-s.changed:
		case <-l.done:
			return
		}
	}
	server, err := net.DialTimeout("tcp", p.Target(), DialTimeout)
	if err != nil {
		return // the client sees a reset, as from a dead server behind a balancer
	}
	l.mu.Lock()
	if l.resetted {
		l.mu.Unlock()
		server.Close()
		return
	}
	l.server = server
	l.mu.Unlock()

	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); p.pump(l, l.client, server, false) }()
	go func() { defer wg.Done(); p.pump(l, server, l.client, true) }()
	wg.Wait()
}

// pump copies src to dst chunk by chunk, applying the mode to each chunk;
// down says the chunks flow from the server to the client. When either
// side ends, the link is closed (not reset: a clean end stays clean).
func (p *Proxy) pump(l *link, src, dst net.Conn, down bool) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && !p.forward(l, dst, buf[:n], down) {
			return
		}
		if err != nil {
			if err == io.EOF {
				// Close both ends (a full close, not RST): the peer sees
				// EOF, as it would from the server itself.
				l.mu.Lock()
				if !l.resetted {
					l.resetted = true
					close(l.done)
					l.client.Close()
					if l.server != nil {
						l.server.Close()
					}
				}
				l.mu.Unlock()
			} else {
				l.reset()
			}
			return
		}
	}
}

// forward writes chunk to dst as the current mode says; false ends the
// link.
func (p *Proxy) forward(l *link, dst net.Conn, chunk []byte, down bool) bool {
	for {
		s := p.state()
		if s.closed {
			l.reset()
			return false
		}
		switch s.mode {
		case Refuse:
			l.reset()
			return false
		case Hang:
			select {
			case <-s.changed:
				continue
			case <-l.done:
				return false
			}
		case Delay:
			t := time.NewTimer(s.delay)
			select {
			case <-t.C:
			case <-s.changed:
				t.Stop()
				continue // decide again under the new mode
			case <-l.done:
				t.Stop()
				return false
			}
		case Reset:
			if down {
				if l.gen != s.gen {
					l.gen, l.down = s.gen, 0
				}
				if left := s.after - l.down; len(chunk) >= left {
					if left > 0 {
						dst.Write(chunk[:left])
					}
					l.reset()
					return false
				}
				l.down += len(chunk)
			}
		}
		if _, err := dst.Write(chunk); err != nil {
			l.reset()
			return false
		}
		return true
	}
}
