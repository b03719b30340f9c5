package cachedhttp

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cachedhttp/cachedhttp/backends/memory"
)

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// A RoundTripper may return a response with a nil Header or Body; net/http's
// Client tolerates both, and so must the cache, on every path.
func TestOddResponsesFromTheNextTransport(t *testing.T) {
	clk := newClock()
	var next func(*http.Request) *http.Response
	tr, err := NewTransport(WithBackend(memory.New(memory.Options{})), WithClock(clk.Now), WithWriteQueue(0),
		WithStaleIfError(time.Hour), WithTransport(roundTripFunc(func(r *http.Request) (*http.Response, error) {
			return next(r), nil
		})))
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	c := &http.Client{Transport: tr}
	do := func(method, url string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(method, url, nil)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, url, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	// A miss whose response has neither header nor body.
	next = func(r *http.Request) *http.Response { return &http.Response{StatusCode: 200, Request: r} }
	do("GET", "http://o/miss")
	// An unsafe method passed through.
	do("POST", "http://o/miss")

	// A stored response, then revalidation answered 304 with no header or
	// body, then stale-if-error with a 503 without header or body.
	next = func(r *http.Request) *http.Response {
		return &http.Response{StatusCode: 200, Request: r, Body: io.NopCloser(strings.NewReader("x")), ContentLength: 1,
			Header: http.Header{"Cache-Control": {"max-age=1"}, "Etag": {`"v"`}, "Date": {clk.Now().Format(http.TimeFormat)}}}
	}
	do("GET", "http://o/stored")
	clk.Advance(time.Minute)
	next = func(r *http.Request) *http.Response { return &http.Response{StatusCode: 304, Request: r} }
	if resp := do("GET", "http://o/stored"); resp.StatusCode != 200 || !Info(resp).Revalidated {
		t.Fatalf("304 without header: status %d, info %+v", resp.StatusCode, Info(resp))
	}
	clk.Advance(time.Minute)
	next = func(r *http.Request) *http.Response { return &http.Response{StatusCode: 503, Request: r} }
	if resp := do("GET", "http://o/stored"); resp.StatusCode != 200 || !Info(resp).Stale {
		t.Fatalf("503 without header: status %d, info %+v", resp.StatusCode, Info(resp))
	}
}

// A Content-Length is the origin's word: a response that declares 64 MiB and
// sends 1 KiB reserves no more than the small cap.
func TestContentLengthDoesNotSizeTheBuffer(t *testing.T) {
	tr, err := NewTransport(WithTransport(roundTripFunc(func(r *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 200, Request: r, ContentLength: 64 << 20,
			Header: http.Header{"Cache-Control": {"max-age=60"}},
			Body:   io.NopCloser(io.MultiReader(bytes.NewReader(make([]byte, 1024)), errReader{}))}, nil
	})))
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	req, _ := http.NewRequest("GET", "http://o/big", nil)
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	tb, ok := resp.Body.(*teeBody)
	if !ok {
		t.Fatalf("body is %T, want the tee", resp.Body)
	}
	if c := cap(tb.buf); c > teeReserve {
		t.Fatalf("reserved %d bytes for a body that declared 64 MiB; want at most %d", c, teeReserve)
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, io.ErrUnexpectedEOF }

func TestInvalidOptionsAreRefused(t *testing.T) {
	cases := map[string]Option{
		"nil option":               nil,
		"nil clock":                WithClock(nil),
		"negative body size":       WithMaxBodySize(-1),
		"negative expiry":          WithExpireAfter(-5 * time.Second),
		"negative stale-if-error":  WithStaleIfError(-time.Second),
		"negative keep-stale":      WithKeepStale(-time.Second),
		"negative write queue":     WithWriteQueue(-1),
		"negative decoded cache":   WithDecodedCache(-1),
		"negative swr":             WithStaleWhileRevalidate(-time.Second),
		"lower-case method":        WithMethods("get"),
		"empty method":             WithMethods(""),
		"empty URL rule":           WithURLRule("", time.Hour),
		"bad URL rule":             WithURLRule("[", time.Hour),
		"URL rule with bad expiry": WithURLRule("*", -7*time.Second),
		"nil regexp":               WithURLRegexp(nil, time.Hour),
		"regexp with bad expiry":   WithURLRegexp(regexp.MustCompile("x"), -7*time.Second),
		"status code out of range": WithStatusCodes(200, 1000),
		"nil backend":              WithBackend(nil),
	}
	for name, opt := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := NewTransport(opt); !errors.Is(err, ErrInvalidOption) {
				t.Fatalf("NewTransport: %v, want ErrInvalidOption", err)
			}
			if _, err := NewSession(opt, WithSessionPath(t.TempDir()+"/c.db")); !errors.Is(err, ErrInvalidOption) {
				t.Fatalf("NewSession: %v, want ErrInvalidOption", err)
			}
		})
	}
	// The special values stay valid.
	for _, d := range []time.Duration{0, NeverExpire, DoNotCache, ExpireImmediately, time.Hour} {
		tr, err := NewTransport(WithExpireAfter(d), WithURLRule("*", d), WithStaleIfError(NeverExpire), WithMaxBodySize(1), WithWriteQueue(0), WithDecodedCache(0))
		if err != nil {
			t.Fatalf("special value %v refused: %v", d, err)
		}
		tr.Close()
	}
}

type countingObserver struct{ requests, origins, backends int }

func (c *countingObserver) ObserveRequest(RequestEvent)                    { c.requests++ }
func (c *countingObserver) ObserveOrigin(time.Duration, error)             { c.origins++ }
func (c *countingObserver) ObserveBackend(BackendOp, time.Duration, error) { c.backends++ }

func TestMultiObserverFansOut(t *testing.T) {
	a, b := &countingObserver{}, &countingObserver{}
	h := newHarness(t, counter("max-age=60"), WithObserver(MultiObserver(a, b)), WithWriteQueue(0))
	h.get("/o")
	h.get("/o")
	for _, c := range []*countingObserver{a, b} {
		if c.requests != 2 || c.origins != 1 || c.backends == 0 {
			t.Fatalf("observer saw %+v, want 2 requests, 1 origin call, some backend calls", *c)
		}
	}
}
