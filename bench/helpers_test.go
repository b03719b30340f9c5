package bench

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"syscall"
	"testing"
	"time"
)

func newReq(tb testing.TB, u string) *http.Request {
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return req
}

// do sends req as a caller would (Do, ReadAll, Close) and checks that it
// got a 200 with want bytes.
func do(c *http.Client, req *http.Request, want int) error {
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return fmt.Errorf("read %s: %w", req.URL, err)
	}
	if resp.StatusCode != http.StatusOK || len(body) != want {
		return fmt.Errorf("%s: status %d with %d bytes, want 200 with %d", req.URL, resp.StatusCode, len(body), want)
	}
	return nil
}

// doInto is do reading into the caller's buffer, which must be exactly
// the body's size: the caller allocates nothing, so what is allocated is
// the transport's.
func doInto(c *http.Client, req *http.Request, buf []byte) error {
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: status %d", req.URL, resp.StatusCode)
	}
	if _, err := io.ReadFull(resp.Body, buf); err != nil {
		return fmt.Errorf("read %s: %w", req.URL, err)
	}
	var one [1]byte
	if n, err := resp.Body.Read(one[:]); n != 0 || (err != nil && !errors.Is(err, io.EOF)) {
		return fmt.Errorf("%s: body longer than %d bytes (or %v)", req.URL, len(buf), err)
	}
	return nil
}

// allocMeter measures bytes allocated between start and stop, like B/op
// but available to the benchmark for derived metrics.
type allocMeter struct{ before runtime.MemStats }

func (m *allocMeter) start() { runtime.ReadMemStats(&m.before) }

func (m *allocMeter) perOp(n int) float64 {
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	return float64(after.TotalAlloc-m.before.TotalAlloc) / float64(n)
}

// forEach runs one sub-benchmark per impl, named impl=NAME. The instance is
// opened and run through prepare once, and shared (with what prepare
// returned) by the runs of that sub-benchmark (growing b.N, each -cpu
// value), then closed.
func forEach[S any](parent *testing.B, impls []impl, prepare func(b *testing.B, im impl, inst *instance) S, run func(b *testing.B, im impl, inst *instance, s S)) {
	forEachThen(parent, impls, prepare, run, nil)
}

// forEachThen is forEach with finish, which runs once after the last run
// of each sub-benchmark, before the instance is closed (when the
// sub-benchmark ran and did not fail).
func forEachThen[S any](parent *testing.B, impls []impl, prepare func(b *testing.B, im impl, inst *instance) S, run func(b *testing.B, im impl, inst *instance, s S), finish func(parent *testing.B, im impl, inst *instance, s S)) {
	for _, im := range impls {
		var inst *instance
		var state S
		ok := parent.Run("impl="+im.name, func(b *testing.B) {
			if inst == nil {
				inst = im.open(scoped{B: b, parent: parent})
				if prepare != nil {
					state = prepare(b, im, inst)
				}
			}
			b.ReportAllocs()
			run(b, im, inst, state)
		})
		if ok && inst != nil && finish != nil {
			finish(parent, im, inst, state)
		}
		if inst != nil {
			if err := inst.close(); err != nil {
				parent.Errorf("close %s: %v", im.name, err)
			}
			// The parent's cleanups keep inst until the parent ends:
			// drop what holds the store, so that the next impl does
			// not run beside this one's entries.
			inst.client, inst.settle, inst.stored = nil, nil, nil
		}
	}
}

// cpuMeter measures the CPU time (user and system) the whole process
// spends between start and perOp: the benchmark, the transport's
// background goroutines, the origin and the garbage collector. On a loaded
// machine it says what an operation costs when wall time mostly says how
// long the scheduler kept it waiting; compare it between impls of one
// scenario (the origin's share is the same for each).
type cpuMeter struct{ before time.Duration }

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func (m *cpuMeter) start() { m.before = processCPU() }

// report adds cpu-ns/op to b's results.
func (m *cpuMeter) report(b *testing.B) {
	b.ReportMetric(float64(processCPU()-m.before)/float64(b.N), "cpu-ns/op")
}

// liveHeapMB returns the Go heap that survives collections, in MiB: what
// the process retains (stored entries, the origin's bodies). Two
// collections, so that what sync.Pools kept is gone too.
func liveHeapMB() float64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return float64(ms.HeapAlloc) / (1 << 20)
}
