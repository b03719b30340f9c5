package backendtest_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/backends/backendtest"
)

// fault names a way the reference backend can be broken.
type fault string

const (
	faultNone             fault = ""
	faultIgnoreTTL        fault = "ignore-ttl"
	faultMissNoError      fault = "miss-no-error"
	faultCloseNoop        fault = "close-noop"
	faultTruncate         fault = "truncate-large"
	faultScanTwice        fault = "scan-twice"
	faultIgnoreContext    fault = "ignore-context"
	faultFoldCase         fault = "fold-case"
	faultDeleteFirst      fault = "delete-first-only"
	faultSharedStore      fault = "shared-store"
	faultOverwriteInPlace fault = "overwrite-in-place"
	faultNoTooLarge       fault = "no-too-large"
	faultTTLOverflow      fault = "ttl-overflow"
	faultNoScan           fault = "no-scan" // not a fault with ScanUnsupported
	faultKeepTTL          fault = "keep-ttl"
)

// ref is a simple, correct backend, which fault breaks in one way.
type ref struct {
	fault  fault
	mu     *sync.Mutex
	m      map[string]item
	closed bool
}

type item struct {
	v   []byte
	exp time.Time
}

var (
	sharedMu sync.Mutex
	shared   = map[string]item{}
)

func newRef(f fault) *ref {
	r := &ref{fault: f, mu: new(sync.Mutex), m: map[string]item{}}
	if f == faultSharedStore {
		r.mu, r.m = &sharedMu, shared
	}
	return r
}

func (r *ref) key(k string) string {
	if r.fault == faultFoldCase {
		return strings.ToLower(k)
	}
	return k
}

func (r *ref) check(ctx context.Context) error {
	if r.closed {
		return backends.ErrClosed
	}
	if r.fault != faultIgnoreContext {
		return ctx.Err()
	}
	return nil
}

func (r *ref) Get(ctx context.Context, k string) ([]byte, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.check(ctx); err != nil {
		return nil, err
	}
	it, ok := r.m[r.key(k)]
	if !ok || (r.fault != faultIgnoreTTL && !it.exp.IsZero() && !time.Now().Before(it.exp)) {
		if r.fault == faultMissNoError {
			return nil, nil
		}
		return nil, fmt.Errorf("get %q: %w", k, backends.ErrNotFound)
	}
	return it.v, nil
}

func (r *ref) Set(ctx context.Context, k string, v []byte, ttl time.Duration) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.check(ctx); err != nil {
		return err
	}
	if len(v) > 2<<20 && r.fault == faultTruncate {
		v = v[:2<<20]
	}
	var exp time.Time
	if ttl > 0 {
		exp = time.Now().Add(ttl)
		if r.fault == faultTTLOverflow {
			exp = time.Unix(0, time.Now().UnixNano()+int64(ttl))
		}
	}
	if old, ok := r.m[r.key(k)]; ok && r.fault == faultKeepTTL && exp.IsZero() {
		// An update that leaves the expiry attribute alone.
		exp = old.exp
	}
	if old, ok := r.m[r.key(k)]; ok && r.fault == faultOverwriteInPlace && len(old.v) == len(v) {
		// Reusing the old value's memory changes what an earlier Get
		// returned.
		copy(old.v, v)
		v = old.v
	}
	r.m[r.key(k)] = item{v: v, exp: exp}
	return nil
}

func (r *ref) Delete(ctx context.Context, keys ...string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.check(ctx); err != nil {
		return err
	}
	if r.fault == faultDeleteFirst && len(keys) > 1 {
		keys = keys[:1]
	}
	for _, k := range keys {
		delete(r.m, r.key(k))
	}
	return nil
}

func (r *ref) Scan(ctx context.Context) iter.Seq2[backends.Entry, error] {
	return func(yield func(backends.Entry, error) bool) {
		r.mu.Lock()
		if err := r.check(ctx); err != nil {
			r.mu.Unlock()
			yield(backends.Entry{}, err)
			return
		}
		if r.fault == faultNoScan {
			r.mu.Unlock()
			yield(backends.Entry{}, fmt.Errorf("scan: %w", errors.ErrUnsupported))
			return
		}
		var es []backends.Entry
		for k, it := range r.m {
			es = append(es, backends.Entry{Key: k, Expires: it.exp, Size: int64(len(it.v))})
		}
		r.mu.Unlock()
		sort.Slice(es, func(i, j int) bool { return es[i].Key < es[j].Key })
		if r.fault == faultScanTwice && len(es) > 0 {
			es = append(es, es[0])
		}
		for _, e := range es {
			if !yield(e, nil) {
				return
			}
		}
	}
}

func (r *ref) Clear(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.check(ctx); err != nil {
		return err
	}
	clear(r.m)
	return nil
}

func (r *ref) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fault != faultCloseNoop {
		r.closed = true
	}
	return nil
}

const faultEnv = "BACKENDTEST_FAULT"

// TestSuite runs the suite against the correct reference backend, which
// must pass, and (in a child process each) against one broken in each
// way, which must fail in the sub-test that covers that behaviour.
func TestSuite(t *testing.T) {
	if f, ok := os.LookupEnv(faultEnv); ok {
		// The child: run the suite against the broken backend.
		opts := backendtest.Options{}
		if fault(f) == faultNoTooLarge {
			opts.MaxValue = 1 << 10
		}
		backendtest.Run(t, func(t *testing.T) backends.Backend { return newRef(fault(f)) }, opts)
		return
	}
	t.Run("reference backend passes", func(t *testing.T) {
		backendtest.Run(t, func(t *testing.T) backends.Backend { return newRef(faultNone) }, backendtest.Options{})
	})
	t.Run("reference backend without Scan passes with ScanUnsupported", func(t *testing.T) {
		backendtest.Run(t, func(t *testing.T) backends.Backend { return newRef(faultNoScan) }, backendtest.Options{ScanUnsupported: true})
	})
	tests := []struct {
		fault    fault
		wantFail string // a sub-test that must fail
	}{
		{faultIgnoreTTL, "ttl_expires_the_value"},
		{faultMissNoError, "miss_matches_ErrNotFound"},
		{faultCloseNoop, "close_then_use_returns_ErrClosed"},
		{faultTruncate, "round_trip/20971520_bytes"},
		{faultScanTwice, "scan_yields_every_key_once"},
		{faultIgnoreContext, "cancelled_context"},
		{faultFoldCase, "keys_of_any_bytes_stay_distinct"},
		{faultDeleteFirst, "delete_removes_several_keys_at_once"},
		{faultSharedStore, "clear_leaves_another_backend_alone"},
		{faultOverwriteInPlace, "returned_value_survives_a_later_set"},
		{faultNoTooLarge, "round_trip/1025_bytes"},
		{faultTTLOverflow, "a_huge_ttl_does_not_overflow"},
		{faultNoScan, "scan_yields_every_key_once"}, // without ScanUnsupported
		{faultKeepTTL, "ttl_of_zero_or_less_does_not_expire"},
	}
	for _, tt := range tests {
		t.Run(string(tt.fault)+" fails "+tt.wantFail, func(t *testing.T) {
			args := []string{"-test.run=^TestSuite$", "-test.v"}
			// The 20 MiB value this fault truncates is left out by -short.
			if testing.Short() && tt.fault != faultTruncate {
				args = append(args, "-test.short")
			}
			cmd := exec.CommandContext(t.Context(), os.Args[0], args...)
			cmd.Env = append(os.Environ(), faultEnv+"="+string(tt.fault))
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("the suite passed a backend broken by %s", tt.fault)
			}
			if want := "--- FAIL: TestSuite/" + tt.wantFail; !strings.Contains(string(out), want) {
				t.Errorf("output lacks %q:\n%s", want, tail(string(out), 3000))
			}
		})
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}
