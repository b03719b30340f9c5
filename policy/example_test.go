package policy_test

import (
	"fmt"
	"net/http"
	"time"

	"github.com/cachedhttp/cachedhttp/models"
	"github.com/cachedhttp/cachedhttp/policy"
)

// A transport asks Storable after the origin answers, keeps the record, and
// asks Lookup on the next request.
func ExamplePolicy_Lookup() {
	p := &policy.Policy{}
	sent := time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC)
	req, _ := http.NewRequest(http.MethodGet, "https://example.com/a", nil)
	resp := &http.Response{StatusCode: 200, Request: req, Header: http.Header{
		"Date":          {sent.Format(http.TimeFormat)},
		"Cache-Control": {"max-age=60"},
		"Etag":          {`"v1"`},
	}}

	st := p.Storable(req, policy.Controls{}, nil, resp, sent, sent)
	fmt.Println(st.OK, st.Expires.Sub(sent), st.TTL)

	rec := models.FromHTTP(resp, []byte("hello"))
	rec.Header, rec.RequestTime, rec.ResponseTime, rec.Expires = st.Header, sent, sent, st.Expires

	d := p.Lookup(req, policy.Controls{}, rec, sent.Add(30*time.Second))
	fmt.Println(d.Action == policy.Serve, d.Reason, d.Age)

	d = p.Lookup(req, policy.Controls{}, rec, sent.Add(2*time.Minute))
	fmt.Println(d.Action == policy.Revalidate, d.Reason, d.Conditional.Get("If-None-Match"))
	// Output:
	// true 1m0s 24h1m0s
	// true fresh 30s
	// true stale "v1"
}

// A cache that answers many requests from one decoded record prepares it
// once: LookupPrepared then decides as Lookup does without reading the
// record's Cache-Control, dates and validators again.
func ExamplePolicy_LookupPrepared() {
	p := &policy.Policy{}
	sent := time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC)
	req, _ := http.NewRequest(http.MethodGet, "https://example.com/a", nil)
	resp := &http.Response{StatusCode: 200, Request: req, Header: http.Header{
		"Date":          {sent.Format(http.TimeFormat)},
		"Age":           {"10"},
		"Cache-Control": {"max-age=60"},
	}}
	st := p.Storable(req, policy.Controls{}, nil, resp, sent, sent)
	rec := models.FromHTTP(resp, []byte("hello"))
	rec.Header, rec.RequestTime, rec.ResponseTime, rec.Expires = st.Header, sent, sent, st.Expires

	pr := p.Prepare(rec) // once, when the record is decoded
	for _, after := range []time.Duration{20 * time.Second, 40 * time.Second, 55 * time.Second} {
		d := p.LookupPrepared(req, policy.Controls{}, pr, sent.Add(after))
		fmt.Println(d.Action == policy.Serve, d.Reason, d.Age)
	}
	// Output:
	// true fresh 30s
	// true fresh 50s
	// false stale 1m5s
}

func ExampleParseCacheControl() {
	d := policy.ParseCacheControl(http.Header{"Cache-Control": {`Max-Age="60", no-cache="Set-Cookie", max-age=60`}})
	fmt.Println(d.MaxAge.Valid, d.MaxAge.Duration(), d.NoCache, d.NoCacheFields)
	// Output: true 1m0s false [Set-Cookie]
}

func ExamplePolicy_RuleFor() {
	p := &policy.Policy{Rules: []policy.Rule{
		{Glob: "*.example.com/static", Expire: policy.NeverExpire},
		{Glob: "api.example.com/v1/*", Expire: policy.Expiry(time.Minute)},
	}}
	for _, s := range []string{"https://cdn.example.com/static/app.js", "https://api.example.com/v1/users", "https://example.org/"} {
		req, _ := http.NewRequest(http.MethodGet, s, nil)
		e, ok := p.RuleFor(req.URL)
		fmt.Println(e, ok)
	}
	// Output:
	// never true
	// 1m0s true
	// unset false
}

// Storable says why a response is not stored; besides RFC 9111 it applies
// the Policy's Filter and MaxBodySize, and never lets a HEAD response
// replace a stored one.
func ExamplePolicy_Storable() {
	p := &policy.Policy{
		MaxBodySize: 1 << 20,
		Filter:      func(r *http.Response) bool { return r.Header.Get("Content-Type") != "text/event-stream" },
	}
	now := time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC)
	req, _ := http.NewRequest(http.MethodGet, "https://example.com/a", nil)
	answer := func(length int64, kv ...string) *http.Response {
		h := http.Header{"Cache-Control": {"max-age=60"}}
		for i := 0; i+1 < len(kv); i += 2 {
			h.Set(kv[i], kv[i+1])
		}
		return &http.Response{StatusCode: 200, Request: req, Header: h, ContentLength: length}
	}

	fmt.Println(p.Storable(req, policy.Controls{}, nil, answer(100), now, now).Reason)
	fmt.Println(p.Storable(req, policy.Controls{}, nil, answer(100, "Cache-Control", "no-store"), now, now).Reason)
	fmt.Println(p.Storable(req, policy.Controls{}, nil, answer(100, "Content-Type", "text/event-stream"), now, now).Reason)
	fmt.Println(p.Storable(req, policy.Controls{}, nil, answer(2<<20), now, now).Reason)

	head, _ := http.NewRequest(http.MethodHead, "https://example.com/a", nil)
	stored := &models.Response{StatusCode: 200, Request: models.Request{Method: http.MethodGet}}
	fmt.Println(p.Storable(head, policy.Controls{}, stored, answer(100), now, now).Reason)
	// Output:
	// stored
	// no-store
	// filter
	// too-large
	// head
}

// ExpireAfter turns a duration the user states (an option's argument) into
// an Expiry: zero there means "expire immediately", while the zero Expiry
// of a Policy field means "unset, follow HTTP".
func ExampleExpireAfter() {
	fmt.Println(policy.ExpireAfter(0), policy.ExpireAfter(time.Hour), policy.ExpireAfter(time.Duration(policy.NeverExpire)))
	fmt.Println(policy.Policy{}.Expire)
	// Output:
	// expire-immediately 1h0m0s never
	// unset
}

// ValidateGlob checks a URL rule's pattern with the same code that matches
// it: a class is a class, not literal text.
func ExampleValidateGlob() {
	for _, g := range []string{"api.example.com/v[12]/*", "api.example.com/v[12/*", "example.com/search?q=*"} {
		fmt.Println(policy.ValidateGlob(g))
	}
	p := &policy.Policy{Rules: []policy.Rule{{Glob: "api.example.com/v[12]/", Expire: policy.Expiry(time.Minute)}}}
	for _, s := range []string{"https://API.example.com/v2/users", "https://api.example.com/v3/users"} {
		req, _ := http.NewRequest(http.MethodGet, s, nil)
		fmt.Println(p.RuleFor(req.URL))
	}
	// Output:
	// <nil>
	// policy: glob "api.example.com/v[12/*": unterminated [ at offset 17: invalid glob pattern
	// <nil>
	// 1m0s true
	// unset false
}

// A shared cache with CDN-Cache-Control on its target list takes its
// policy from that field and ignores Cache-Control (RFC 9213).
func ExamplePolicy_Storable_targeted() {
	p := &policy.Policy{Shared: true, TargetedFields: []string{"CDN-Cache-Control"}}
	now := time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC)
	req, _ := http.NewRequest(http.MethodGet, "https://example.com/page", nil)
	resp := &http.Response{StatusCode: 200, Request: req, Header: http.Header{
		"Date":              {now.Format(http.TimeFormat)},
		"Cache-Control":     {"no-store"},
		"Cdn-Cache-Control": {"max-age=600"},
	}}
	st := p.Storable(req, policy.Controls{}, nil, resp, now, now)
	fmt.Println(st.OK, st.Expires.Sub(now))

	private := &policy.Policy{TargetedFields: []string{"CDN-Cache-Control"}}
	fmt.Println(private.Storable(req, policy.Controls{}, nil, resp, now, now).Reason)
	// Output:
	// true 10m0s
	// no-store
}

// A shared cache does not store a response that sets a cookie, unless
// told to store it without the cookie.
func ExamplePolicy_Storable_setCookie() {
	now := time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC)
	req, _ := http.NewRequest(http.MethodGet, "https://example.com/", nil)
	resp := &http.Response{StatusCode: 200, Request: req, Header: http.Header{
		"Cache-Control": {"public, max-age=60"},
		"Set-Cookie":    {"session=alice"},
	}}
	shared := &policy.Policy{Shared: true}
	fmt.Println(shared.Storable(req, policy.Controls{}, nil, resp, now, now).Reason)

	strip := &policy.Policy{Shared: true, StripSetCookie: true}
	st := strip.Storable(req, policy.Controls{}, nil, resp, now, now)
	fmt.Println(st.Reason, st.Header.Get("Set-Cookie") == "", resp.Header.Get("Set-Cookie"))
	// Output:
	// set-cookie
	// stored true session=alice
}

// A stored part (bytes 0-4 of 10) cannot answer a request for the whole
// representation; PartialFor says to ask the origin for the rest only,
// under If-Range, and Combine joins the two parts into a complete 200
// (RFC 9111 §3.3, §3.4).
func ExamplePartialFor() {
	part := &models.Response{StatusCode: 206, Body: []byte("01234"), Request: models.Request{Method: http.MethodGet},
		Header: http.Header{"Etag": {`"v1"`}, "Content-Range": {"bytes 0-4/10"}}}
	req, _ := http.NewRequest(http.MethodGet, "https://example.com/file", nil)
	u := policy.PartialFor(req, part)
	fmt.Println(u.Action == policy.PartialComplete, u.Fetch.Header(), u.IfRange)

	rest := &models.Response{StatusCode: 206, Body: []byte("56789"), Request: models.Request{Method: http.MethodGet},
		Header: http.Header{"Etag": {`"v1"`}, "Content-Range": {"bytes 5-9/10"}}}
	whole := policy.Combine(part, rest)
	fmt.Println(whole.StatusCode, string(whole.Body), whole.Header.Get("Content-Length"))
	// Output:
	// true bytes=5- "v1"
	// 200 0123456789 10
}
