package faultsuite

import (
	"errors"
	"fmt"
	"time"

	"github.com/cachedhttp/cachedhttp/internal/faultproxy"
)

// Store is one backend deployment as a cell sees it: a DSN that reaches the
// servers through Proxies (a fault is applied to all of them at once) or,
// for a stop-and-restart cell, straight to a Server the suite runs itself.
type Store struct {
	// Name names the store in the table ("redis", "redis-cluster", ...).
	Name string
	// DSN is what the Transport opens (WithBackendDSN).
	DSN string
	// Proxies stand between the client and the servers.
	Proxies []*faultproxy.Proxy
	// Server is the server a Stopped fault kills and starts again.
	Server *Server
}

// Fault is one way a store fails. It is injected before the Transport opens
// the store or after (once entries are stored), and recovered from while
// the Transport runs.
type Fault struct {
	// Name names the fault in the table.
	Name string
	// BeforeOpen injects the fault before NewTransport.
	BeforeOpen bool
	// Restart says the fault loses the store's contents by nature (a
	// server without persistence restarted): entries lost are expected.
	Restart bool
	inject  func(*Store) error
	recover func(*Store) error
}

func (f Fault) String() string { return f.Name }

func each(s *Store, f func(*faultproxy.Proxy) error) error {
	if len(s.Proxies) == 0 {
		return fmt.Errorf("store %s has no proxies", s.Name)
	}
	var errs []error
	for _, p := range s.Proxies {
		errs = append(errs, f(p))
	}
	return errors.Join(errs...)
}

func when(before bool) string {
	if before {
		return "before open"
	}
	return "after open"
}

func pass(s *Store) error { return each(s, (*faultproxy.Proxy).Pass) }

// Refused is a store whose servers refuse connections (and reset the open
// ones), as servers that are down.
func Refused(beforeOpen bool) Fault {
	return Fault{Name: "refused, " + when(beforeOpen), BeforeOpen: beforeOpen,
		inject: func(s *Store) error { return each(s, (*faultproxy.Proxy).Refuse) }, recover: pass}
}

// Hung is a store whose servers accept connections and never answer.
func Hung(beforeOpen bool) Fault {
	return Fault{Name: "hung, " + when(beforeOpen), BeforeOpen: beforeOpen,
		inject: func(s *Store) error { return each(s, (*faultproxy.Proxy).Hang) }, recover: pass}
}

// Slow is a store whose every packet takes d more in each direction.
func Slow(d time.Duration, beforeOpen bool) Fault {
	return Fault{Name: fmt.Sprintf("%v slow, %s", d, when(beforeOpen)), BeforeOpen: beforeOpen,
		inject: func(s *Store) error {
			return each(s, func(p *faultproxy.Proxy) error { return p.Delay(d) })
		}, recover: pass}
}

// CutReplies is a store whose connections are reset after k bytes of
// reply, mid-frame.
func CutReplies(k int) Fault {
	return Fault{Name: fmt.Sprintf("reset after %d reply bytes", k),
		inject: func(s *Store) error {
			return each(s, func(p *faultproxy.Proxy) error { return p.ResetAfter(k) })
		}, recover: pass}
}

// Stopped is a store whose server is killed and started again (empty).
func Stopped() Fault {
	return Fault{Name: "killed and restarted", Restart: true,
		inject: func(s *Store) error {
			if s.Server == nil {
				return fmt.Errorf("store %s has no server of its own to stop", s.Name)
			}
			return s.Server.Stop()
		},
		recover: func(s *Store) error { return s.Server.Start() }}
}
