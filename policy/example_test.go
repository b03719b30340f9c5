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

	st := p.Storable(req, policy.Controls{}, resp, sent, sent)
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
