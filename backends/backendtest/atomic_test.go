package backendtest_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/backends/backendtest"
	"github.com/cachedhttp/cachedhttp/backends/memory"
)

// atomicFault names a way racy breaks the atomic verbs of a correct store.
type atomicFault string

const (
	faultRacyAdd      atomicFault = "racy-add"       // check, then set: not atomic
	faultRacyIncr     atomicFault = "racy-incr"      // read, then write: not atomic
	faultIncrResetTTL atomicFault = "incr-reset-ttl" // an existing counter takes the new ttl
	faultIncrLenient  atomicFault = "incr-lenient"   // reads "+7" and "007"
)

// racy is the memory backend with Add and Incr built from Get and Set, as
// a store without atomic operations would be tempted to: each fault breaks
// one part of the contract.
type racy struct {
	*memory.Backend
	fault atomicFault
}

func (r racy) Add(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error) {
	if r.fault != faultRacyAdd {
		return r.Backend.Add(ctx, key, value, ttl)
	}
	if _, err := r.Get(ctx, key); !errors.Is(err, backends.ErrNotFound) {
		return false, err
	}
	time.Sleep(time.Millisecond) // widen the window other callers race into
	return true, r.Set(ctx, key, value, ttl)
}

func (r racy) Incr(ctx context.Context, key string, delta int64, ttl time.Duration) (int64, error) {
	switch r.fault {
	case faultRacyIncr:
		n := delta
		if v, err := r.Get(ctx, key); err == nil {
			if n, err = backends.Increment(v, delta); err != nil {
				return 0, err
			}
		}
		time.Sleep(100 * time.Microsecond)
		return n, r.Set(ctx, key, []byte(strconv.FormatInt(n, 10)), ttl)
	case faultIncrResetTTL:
		n, err := r.Backend.Incr(ctx, key, delta, ttl)
		if err != nil {
			return 0, err
		}
		return n, r.Set(ctx, key, []byte(strconv.FormatInt(n, 10)), ttl)
	case faultIncrLenient:
		if v, err := r.Get(ctx, key); err == nil {
			if m, perr := strconv.ParseInt(string(v), 10, 64); perr == nil && m > 0 {
				if err := r.Set(ctx, key, []byte(strconv.FormatInt(m, 10)), 0); err != nil {
					return 0, err
				}
			}
		}
	}
	return r.Backend.Incr(ctx, key, delta, ttl)
}

const atomicFaultEnv = "BACKENDTEST_ATOMIC_FAULT"

// TestAtomicSuite runs the suite against the memory backend, whose Add and
// Incr are correct, and (in a child process each) against racy, which
// must fail in the sub-test that covers its fault.
func TestAtomicSuite(t *testing.T) {
	if f, ok := os.LookupEnv(atomicFaultEnv); ok {
		backendtest.Run(t, func(t *testing.T) backends.Backend {
			return racy{Backend: memory.New(memory.Options{}), fault: atomicFault(f)}
		}, backendtest.Options{})
		return
	}
	t.Run("memory backend passes", func(t *testing.T) {
		backendtest.Run(t, func(t *testing.T) backends.Backend { return memory.New(memory.Options{}) }, backendtest.Options{})
	})
	tests := []struct {
		fault    atomicFault
		wantFail string
	}{
		{faultRacyAdd, "add_succeeds_exactly_once_from_32_goroutines_(Adder)"},
		{faultRacyIncr, "incr_from_32_goroutines_loses_no_increment_(Incrementer)"},
		{faultIncrResetTTL, "incr_honours_the_ttl_of_a_new_counter_and_keeps_an_existing_one's_(Incrementer)"},
		{faultIncrLenient, "incr_reads_values_set_as_decimals_and_refuses_others_(Incrementer)"},
	}
	for _, tt := range tests {
		t.Run(string(tt.fault)+" fails", func(t *testing.T) {
			t.Parallel()
			cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestAtomicSuite$", "-test.v", "-test.short")
			cmd.Env = append(os.Environ(), atomicFaultEnv+"="+string(tt.fault))
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("the suite passed a backend broken by %s", tt.fault)
			}
			if want := "--- FAIL: TestAtomicSuite/" + tt.wantFail; !strings.Contains(string(out), want) {
				t.Errorf("output lacks %q:\n%s", want, tail(string(out), 3000))
			}
		})
	}
}
