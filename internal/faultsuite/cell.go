package faultsuite

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cachedhttp/cachedhttp"
)

// Config sizes a cell. The zero value is not usable: start from Defaults.
type Config struct {
	// Warm is how many responses are stored before a fault injected after
	// open; they are the entries checked for loss after recovery.
	Warm int
	// Burst is how many requests start at once when the fault begins (half
	// for stored responses, half new), to exhaust connection pools.
	Burst int
	// Paced is how many requests follow, made by Workers workers with
	// Pause between two requests of one worker, so the fault lasts a while
	// and the circuit breaker probes during it.
	Paced   int
	Workers int
	Pause   time.Duration
	// Deadline is the caller's deadline on each request.
	Deadline time.Duration
	// HangGuard is how long a request, NewTransport or Close may take
	// before the cell records a hang (hang detection, not a timing
	// criterion: the machine is shared).
	HangGuard time.Duration
	// ResumeGuard is how long after recovery the cell waits for caching
	// to resume.
	ResumeGuard time.Duration
	// The Transport's bounds (see cachedhttp.WithBackendBudget,
	// WithBreaker, WithOpenTimeout and WithCloseTimeout).
	ReadBudget, WriteBudget   time.Duration
	BreakerThreshold          int
	BreakerBackoff            time.Duration
	OpenTimeout, CloseTimeout time.Duration
}

// options returns the Transport options cfg names.
func (cfg Config) options() []cachedhttp.Option {
	return []cachedhttp.Option{
		cachedhttp.WithBackendBudget(cfg.ReadBudget, cfg.WriteBudget),
		cachedhttp.WithBreaker(cfg.BreakerThreshold, cfg.BreakerBackoff),
		cachedhttp.WithOpenTimeout(cfg.OpenTimeout),
		cachedhttp.WithCloseTimeout(cfg.CloseTimeout),
	}
}

// Defaults returns the configuration the suite runs with: small budgets and
// a short breaker backoff, so a cell takes a few seconds.
func Defaults() Config {
	return Config{
		Warm: 8, Burst: 64, Paced: 32, Workers: 4, Pause: 50 * time.Millisecond,
		Deadline: 2 * time.Second, HangGuard: 10 * time.Second, ResumeGuard: 30 * time.Second,
		ReadBudget: 250 * time.Millisecond, WriteBudget: 500 * time.Millisecond,
		BreakerThreshold: 3, BreakerBackoff: 250 * time.Millisecond,
		OpenTimeout: time.Second, CloseTimeout: 500 * time.Millisecond,
	}
}

// Result is what one cell (a store under a fault) measured.
type Result struct {
	Store, Fault string
	// Requests counts the requests made through the Transport in the cell
	// (warming, under the fault, after recovery); Errors those that
	// returned an error or a status other than 200 to the caller.
	Requests, Errors int
	// P50, P99 and Max are latencies of the requests made under the fault;
	// ControlP99 is the 99th percentile of as many requests made without
	// a cache.
	P50, P99, Max, ControlP99 time.Duration
	// Lost counts stored responses not served from the cache after
	// recovery (-1: not measured, the fault came before anything was
	// stored or empties the store by nature); Wrong counts responses whose
	// body was not the origin's.
	Lost, Wrong int
	// Open is how long NewTransport took, Close how long Close took with
	// the fault injected again and writes queued; Dropped the writes Close
	// dropped.
	Open, Close time.Duration
	Dropped     int64
	// Stderr counts the bytes written to standard error during the cell;
	// StderrText holds the first of them.
	Stderr     int
	StderrText string
	// Resumed says caching worked again after recovery (a response stored
	// in the backend and served from it), ResumeAfter how long after the
	// recovery that took.
	Resumed     bool
	ResumeAfter time.Duration
	// BreakerOpens is the Transport's Stats().BreakerOpens at the end.
	BreakerOpens int64
	// Hangs counts requests, opens and closes that outlived HangGuard.
	Hangs int
	// Log holds the first lines the Transport logged (at Info and
	// above).
	Log []string
	// Problems lists what went wrong: errors seen by the caller, setup
	// failures, hangs (at most a few of each).
	Problems []string
}

// Origin is the HTTP server the cells' requests go to: every path answers
// 200 with a body derived from the path, fresh for an hour.
type Origin struct {
	*httptest.Server
	Hits atomic.Int64
}

// NewOrigin starts an Origin; the test's cleanup closes it.
func NewOrigin(t testing.TB) *Origin {
	o := &Origin{}
	o.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o.Hits.Add(1)
		w.Header().Set("Cache-Control", "max-age=3600")
		io.WriteString(w, Body(r.URL.Path))
	}))
	t.Cleanup(o.Close)
	return o
}

// Body is what the origin answers for path: 2 KiB that name it.
func Body(path string) string {
	return path + "\n" + strings.Repeat(path+"|", 2048/(len(path)+1)+1)[:2048]
}

// cell is one run of a store under a fault.
type cell struct {
	t      testing.TB
	cfg    Config
	origin *Origin
	prefix string // the cell's URL path prefix
	client *http.Client
	res    *Result

	mu        sync.Mutex
	latencies []time.Duration
}

// outcome is one request's result.
type outcome struct {
	latency   time.Duration
	fromCache bool
	key       string
	err       error
}

// Run runs store s under fault f, against origin, and returns what it
// measured. It fails t only for setup failures (a proxy or server that does
// not switch); the criteria are the caller's to check on the Result.
func Run(t testing.TB, origin *Origin, s *Store, f Fault, cfg Config) (res Result) {
	t.Helper()
	res = Result{Store: s.Name, Fault: f.Name, Lost: -1}
	c := &cell{t: t, cfg: cfg, origin: origin, res: &res,
		prefix: "/" + pathSafe(s.Name) + "/" + pathSafe(f.Name) + "/" + fmt.Sprint(time.Now().UnixNano())}

	tap, err := tapStderr()
	if err != nil {
		t.Fatalf("tap stderr: %v", err)
	}
	defer func() { res.Stderr, res.StderrText = tap.stop() }()
	res.ControlP99 = c.control(cfg.Burst + cfg.Paced)

	if f.BeforeOpen {
		must(t, f.inject(s))
	}
	logs := &logLines{}
	defer func() { res.Log = logs.lines() }()
	opts := append(cfg.options(), cachedhttp.WithBackendDSN(s.DSN),
		cachedhttp.WithLogger(slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))))
	begin := time.Now()
	tr, err, ok := within(cfg.HangGuard, func() (*cachedhttp.Transport, error) { return cachedhttp.NewTransport(opts...) })
	res.Open = time.Since(begin)
	if !ok || err != nil {
		if !ok {
			res.Hangs++
		}
		res.Errors++
		res.problem("NewTransport: %v (hung: %v)", err, !ok)
		must(t, f.recover(s))
		return res
	}
	c.client = &http.Client{Transport: tr}

	var warm []string
	if !f.BeforeOpen {
		for i := range cfg.Warm {
			u := c.url("warm", i)
			o := c.get(u)
			if o.err == nil && !c.stored(tr, o.key, 10*time.Second) {
				res.problem("setup: %s not stored within 10 s before the fault", u)
			}
			warm = append(warm, u)
		}
		must(t, f.inject(s))
	}

	// Under the fault: a burst, then paced requests.
	c.latencies = nil
	var wg sync.WaitGroup
	for i := range cfg.Burst {
		u := c.url("miss", i)
		if i%2 == 0 && len(warm) > 0 {
			u = warm[(i/2)%len(warm)]
		}
		wg.Go(func() { c.measured(u) })
	}
	wg.Wait()
	for w := range cfg.Workers {
		wg.Go(func() {
			for i := w; i < cfg.Paced; i += cfg.Workers {
				u := c.url("paced", i)
				if i%2 == 0 && len(warm) > 0 {
					u = warm[(i/2)%len(warm)]
				}
				c.measured(u)
				time.Sleep(cfg.Pause)
			}
		})
	}
	wg.Wait()
	res.P50, res.P99, res.Max = percentile(c.latencies, 50), percentile(c.latencies, 99), percentile(c.latencies, 100)

	// Recovery: caching must work again.
	must(t, f.recover(s))
	recovered := time.Now()
	for i := 0; time.Since(recovered) < cfg.ResumeGuard; i++ {
		u := c.url("resume", i)
		if o := c.get(u); o.err == nil && c.stored(tr, o.key, 150*time.Millisecond) {
			if o := c.get(u); o.err == nil && o.fromCache {
				res.Resumed, res.ResumeAfter = true, time.Since(recovered)
				break
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !res.Resumed {
		res.problem("caching did not resume within %v of recovery (breaker %s)", cfg.ResumeGuard, tr.Stats().Breaker)
	}
	if len(warm) > 0 && !f.Restart {
		res.Lost = 0
		for _, u := range warm {
			if o := c.get(u); o.err == nil && !o.fromCache {
				res.Lost++
			}
		}
	}

	// Close with the fault back and writes queued.
	must(t, f.inject(s))
	for i := range 8 {
		c.get(c.url("close", i))
	}
	begin = time.Now()
	_, _, ok = within(cfg.HangGuard, func() (struct{}, error) { return struct{}{}, tr.Close() })
	res.Close = time.Since(begin)
	if !ok {
		res.Hangs++
		res.problem("Close still running after %v", cfg.HangGuard)
	}
	st := tr.Stats()
	res.Dropped, res.BreakerOpens = st.DroppedWrites, st.BreakerOpens
	must(t, f.recover(s))
	return res
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("fault switch: %v", err)
	}
}

func (r *Result) problem(format string, args ...any) {
	if len(r.Problems) < 12 {
		r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
	}
}

func pathSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return '-'
	}, strings.ToLower(s))
}

func (c *cell) url(kind string, i int) string {
	return fmt.Sprintf("%s%s/%s/%d", c.origin.URL, c.prefix, kind, i)
}

// within runs f and waits at most guard for it; ok is false when f was
// still running then (it is left running).
func within[T any](guard time.Duration, f func() (T, error)) (v T, err error, ok bool) {
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := f()
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		return r.v, r.err, true
	case <-time.After(guard):
		return v, nil, false
	}
}

// get makes one request through the Transport under the caller's deadline
// and checks the answer.
func (c *cell) get(u string) outcome {
	c.mu.Lock()
	c.res.Requests++
	c.mu.Unlock()
	o, _, ok := within(c.cfg.HangGuard, func() (outcome, error) { return c.do(u), nil })
	c.mu.Lock()
	defer c.mu.Unlock()
	if !ok {
		c.res.Hangs++
		c.res.problem("GET %s still running after %v (deadline %v)", u, c.cfg.HangGuard, c.cfg.Deadline)
		return outcome{latency: c.cfg.HangGuard, err: errHung}
	}
	if o.err != nil {
		c.res.Errors++
		if errors.Is(o.err, errWrongBody) {
			c.res.Wrong++
		}
		c.res.problem("GET %s: %v", u, o.err)
	}
	return o
}

func (c *cell) do(u string) outcome {
	ctx, cancel := context.WithTimeout(context.Background(), c.cfg.Deadline)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return outcome{err: err}
	}
	begin := time.Now()
	resp, err := c.client.Do(req)
	if err != nil {
		return outcome{latency: time.Since(begin), err: err}
	}
	defer resp.Body.Close()
	info := cachedhttp.Info(resp)
	body, err := io.ReadAll(resp.Body)
	o := outcome{latency: time.Since(begin), fromCache: info.FromCache, key: info.Key}
	switch {
	case err != nil:
		o.err = fmt.Errorf("read body: %w", err)
	case resp.StatusCode != http.StatusOK:
		o.err = fmt.Errorf("status %d", resp.StatusCode)
	case string(body) != Body(req.URL.Path):
		o.err = errWrongBody
	}
	return o
}

var (
	errWrongBody = errors.New("body is not the origin's")
	errHung      = errors.New("hung")
)

// measured is get, recording the latency.
func (c *cell) measured(u string) {
	o := c.get(u)
	c.mu.Lock()
	c.latencies = append(c.latencies, o.latency)
	c.mu.Unlock()
}

// stored reports whether key reached the backend within wait (the
// Transport shows queued writes as hits; this asks the store itself).
func (c *cell) stored(tr *cachedhttp.Transport, key string, wait time.Duration) bool {
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) {
		if b := tr.Backend(); b != nil {
			_, err, ok := within(c.cfg.HangGuard, func() ([]byte, error) {
				ctx, cancel := context.WithTimeout(context.Background(), time.Second)
				defer cancel()
				return b.Get(ctx, key)
			})
			if ok && err == nil {
				return true
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}

// control measures n requests to the origin without a cache and returns
// their 99th percentile latency.
func (c *cell) control(n int) time.Duration {
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: c.cfg.HangGuard}
	var lat []time.Duration
	for i := range n {
		begin := time.Now()
		resp, err := client.Get(c.url("control", i))
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		lat = append(lat, time.Since(begin))
	}
	return percentile(lat, 99)
}

// percentile returns the p-th percentile (nearest rank) of d.
func percentile(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	i := (p*len(s)+99)/100 - 1
	return s[max(0, min(i, len(s)-1))]
}

// logLines keeps the first lines written to it.
type logLines struct {
	mu sync.Mutex
	l  []string
	n  int
}

func (l *logLines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.n++
	if len(l.l) < 20 {
		l.l = append(l.l, strings.TrimSpace(string(p)))
	}
	return len(p), nil
}

func (l *logLines) lines() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.n > len(l.l) {
		return append(slices.Clone(l.l), fmt.Sprintf("(%d more lines)", l.n-len(l.l)))
	}
	return slices.Clone(l.l)
}
