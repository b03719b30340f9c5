package policy

import (
	"net/http"
	"testing"
	"time"

	"github.com/cachedhttp/cachedhttp/models"
)

type lookupCase struct {
	name      string
	p         Policy
	ctl       Controls
	method    string   // request method; GET by default
	reqH      []string // request header
	respH     []string // stored response header; Date t0 is added
	recMethod string   // method of the stored request; GET by default
	noRec     bool
	mutate    func(*models.Response)
	now       time.Duration // from t0

	action Action
	reason Reason
	stale  bool
	inm    string // expected If-None-Match in Conditional
	ims    string // expected If-Modified-Since in Conditional
}

func (c lookupCase) run(t *testing.T) {
	t.Helper()
	method := c.method
	if method == "" {
		method = http.MethodGet
	}
	var rec *models.Response
	if !c.noRec {
		recMethod := c.recMethod
		if recMethod == "" {
			recMethod = http.MethodGet
		}
		recReq := newReq(t, recMethod, "https://example.com/a")
		rec = stored(t, &c.p, recReq, newResp(recReq, 200, append([]string{"Date", httpDate(t0)}, c.respH...)...), t0)
		if c.mutate != nil {
			c.mutate(rec)
		}
	}
	req := newReq(t, method, "https://example.com/a", c.reqH...)
	d := c.p.Lookup(req, c.ctl, rec, at(c.now))
	c.checkPrepared(t, req, rec, d)
	if d.Action != c.action || d.Reason != c.reason {
		t.Fatalf("Lookup = %v %q, want %v %q (%+v)", d.Action, d.Reason, c.action, c.reason, d)
	}
	if d.Action == Serve || d.Action == Revalidate || d.Action == ServeStaleAndRevalidate {
		if d.Stale != c.stale {
			t.Errorf("Stale = %v, want %v", d.Stale, c.stale)
		}
		if d.Age != c.now {
			t.Errorf("Age = %v, want %v", d.Age, c.now)
		}
	}
	if got := d.Conditional.Get("If-None-Match"); got != c.inm {
		t.Errorf("If-None-Match = %q, want %q", got, c.inm)
	}
	if got := d.Conditional.Get("If-Modified-Since"); got != c.ims {
		t.Errorf("If-Modified-Since = %q, want %q", got, c.ims)
	}
}

// checkPrepared checks that LookupPrepared decides as Lookup did (d), for
// rec prepared by the case's policy, and for rec prepared by another policy
// (read again).
func (c lookupCase) checkPrepared(t *testing.T, req *http.Request, rec *models.Response, d Decision) {
	t.Helper()
	var pr *Prepared
	if rec != nil {
		pr = c.p.Prepare(rec)
	}
	if got := c.p.LookupPrepared(req, c.ctl, pr, at(c.now)); got != d {
		t.Errorf("LookupPrepared = %+v, Lookup = %+v", got, d)
	}
	if rec == nil {
		return
	}
	other := Policy{IgnoreCacheControl: !c.p.IgnoreCacheControl}
	if got := c.p.LookupPrepared(req, c.ctl, other.Prepare(rec), at(c.now)); got != d {
		t.Errorf("LookupPrepared with another policy's Prepared = %+v, Lookup = %+v", got, d)
	}
}

func TestLookup(t *testing.T) {
	const etag = `"v1"`
	lm := httpDate(at(-time.Hour))
	fresh60 := []string{"Cache-Control", "max-age=60", "Etag", etag}
	tests := []lookupCase{
		{name: "RFC9111 4.2 fresh response served", respH: fresh60, now: 30 * time.Second, action: Serve, reason: "fresh"},
		{name: "RFC9111 4.2 stale response revalidated with If-None-Match", respH: fresh60, now: 90 * time.Second,
			action: Revalidate, reason: "stale", stale: true, inm: etag},
		{name: "RFC9111 4.2 response is stale when age equals lifetime", respH: fresh60, now: 60 * time.Second,
			action: Revalidate, reason: "stale", stale: true, inm: etag},
		{name: "RFC9111 4.3.1 If-Modified-Since from Last-Modified", respH: []string{"Cache-Control", "max-age=60", "Last-Modified", lm},
			now: 90 * time.Second, action: Revalidate, reason: "stale", stale: true, ims: lm},
		{name: "RFC9111 4.3.1 both validators sent", respH: []string{"Cache-Control", "max-age=60", "Last-Modified", lm, "Etag", etag},
			now: 90 * time.Second, action: Revalidate, reason: "stale", stale: true, inm: etag, ims: lm},
		{name: "RFC9111 4.3.1 stale without validator fetched", respH: []string{"Cache-Control", "max-age=60"},
			now: 90 * time.Second, action: Fetch, reason: "stale", stale: true},
		{name: "RFC9111 4.2 never-expiring record always fresh", ctl: Controls{}, p: Policy{Expire: NeverExpire},
			now: 100 * 24 * time.Hour, action: Serve, reason: "fresh"},
		{name: "miss fetches", noRec: true, action: Fetch, reason: "miss"},
		{name: "Vary index is a miss", respH: fresh60, mutate: func(r *models.Response) { r.VaryIndex = []string{"accept"} },
			action: Fetch, reason: "miss"},

		{name: "RFC9111 5.2.1.1 request max-age exceeded revalidates", reqH: []string{"Cache-Control", "max-age=10"},
			respH: fresh60, now: 30 * time.Second, action: Revalidate, reason: "max-age-request", inm: etag},
		{name: "RFC9111 5.2.1.1 request max-age=0 revalidates fresh response", reqH: []string{"Cache-Control", "max-age=0"},
			respH: fresh60, now: time.Second, action: Revalidate, reason: "max-age-request", inm: etag},
		{name: "RFC9111 5.2.1.1 invalid request max-age ignored", reqH: []string{"Cache-Control", "max-age=soon"},
			respH: fresh60, now: 30 * time.Second, action: Serve, reason: "fresh"},
		{name: "RFC9111 5.4 Pragma no-cache among other pragmas", reqH: []string{"Pragma", "foo=\"a,b\", no-cache"},
			respH: fresh60, now: time.Second, action: Revalidate, reason: "no-cache-request", inm: etag},
		{name: "RFC9111 5.2.1.1 request max-age not exceeded serves", reqH: []string{"Cache-Control", "max-age=40"},
			respH: fresh60, now: 30 * time.Second, action: Serve, reason: "fresh"},
		{name: "RFC9111 5.2.1.1 request max-age bounds age even with max-stale", reqH: []string{"Cache-Control", "max-age=10, max-stale"},
			respH: fresh60, now: 90 * time.Second, action: Revalidate, reason: "max-age-request", stale: true, inm: etag},
		{name: "RFC9111 5.2.1.2 max-stale with value serves stale", reqH: []string{"Cache-Control", "max-stale=60"},
			respH: fresh60, now: 90 * time.Second, action: Serve, reason: "max-stale", stale: true},
		{name: "RFC9111 5.2.1.2 max-stale exceeded revalidates", reqH: []string{"Cache-Control", "max-stale=10"},
			respH: fresh60, now: 90 * time.Second, action: Revalidate, reason: "stale", stale: true, inm: etag},
		{name: "RFC9111 5.2.1.2 max-stale without value accepts any staleness", reqH: []string{"Cache-Control", "max-stale"},
			respH: fresh60, now: 10 * time.Hour, action: Serve, reason: "max-stale", stale: true},
		{name: "RFC9111 5.2.1.2 invalid max-stale ignored", reqH: []string{"Cache-Control", "max-stale=soon"},
			respH: fresh60, now: 90 * time.Second, action: Revalidate, reason: "stale", stale: true, inm: etag},
		{name: "RFC9111 5.2.2.2 max-stale cannot override must-revalidate", reqH: []string{"Cache-Control", "max-stale"},
			respH: []string{"Cache-Control", "max-age=60, must-revalidate", "Etag", etag}, now: 90 * time.Second,
			action: Revalidate, reason: "must-revalidate", stale: true, inm: etag},
		{name: "RFC9111 5.2.2.8 proxy-revalidate forbids stale in shared cache", p: Policy{Shared: true},
			reqH: []string{"Cache-Control", "max-stale"}, respH: []string{"Cache-Control", "max-age=60, proxy-revalidate", "Etag", etag},
			now: 90 * time.Second, action: Revalidate, reason: "must-revalidate", stale: true, inm: etag},
		{name: "RFC9111 5.2.2.8 proxy-revalidate ignored by private cache",
			reqH: []string{"Cache-Control", "max-stale"}, respH: []string{"Cache-Control", "max-age=60, proxy-revalidate", "Etag", etag},
			now: 90 * time.Second, action: Serve, reason: "max-stale", stale: true},
		{name: "RFC9111 5.2.2.10 s-maxage forbids stale in shared cache", p: Policy{Shared: true},
			reqH: []string{"Cache-Control", "max-stale"}, respH: []string{"Cache-Control", "s-maxage=60", "Etag", etag},
			now: 90 * time.Second, action: Revalidate, reason: "must-revalidate", stale: true, inm: etag},
		{name: "RFC9111 5.2.1.3 min-fresh not satisfied revalidates", reqH: []string{"Cache-Control", "min-fresh=40"},
			respH: fresh60, now: 30 * time.Second, action: Revalidate, reason: "min-fresh-request", inm: etag},
		{name: "RFC9111 5.2.1.3 min-fresh satisfied serves", reqH: []string{"Cache-Control", "min-fresh=20"},
			respH: fresh60, now: 30 * time.Second, action: Serve, reason: "fresh"},
		{name: "RFC9111 5.2.1.4 request no-cache revalidates fresh response", reqH: []string{"Cache-Control", "no-cache"},
			respH: fresh60, now: time.Second, action: Revalidate, reason: "no-cache-request", inm: etag},
		{name: "RFC9111 5.4 Pragma no-cache without Cache-Control revalidates", reqH: []string{"Pragma", "no-cache"},
			respH: fresh60, now: time.Second, action: Revalidate, reason: "no-cache-request", inm: etag},
		{name: "RFC9111 5.4 Pragma ignored when Cache-Control present",
			reqH:  []string{"Pragma", "no-cache", "Cache-Control", "max-age=3600"},
			respH: fresh60, now: time.Second, action: Serve, reason: "fresh"},
		{name: "RFC9111 5.4 Pragma other values ignored", reqH: []string{"Pragma", "no-cacheX, foo=no-cache"},
			respH: fresh60, now: time.Second, action: Serve, reason: "fresh"},
		{name: "RFC9111 5.2.1.5 request no-store may still be answered from cache", reqH: []string{"Cache-Control", "no-store"},
			respH: fresh60, now: time.Second, action: Serve, reason: "fresh"},
		{name: "RFC9111 5.2.1.7 only-if-cached serves fresh", reqH: []string{"Cache-Control", "only-if-cached"},
			respH: fresh60, now: time.Second, action: Serve, reason: "fresh"},
		{name: "RFC9111 5.2.1.7 only-if-cached stale answers 504", reqH: []string{"Cache-Control", "only-if-cached"},
			respH: fresh60, now: 90 * time.Second, action: GatewayTimeout, reason: "only-if-cached"},
		{name: "RFC9111 5.2.1.7 only-if-cached miss answers 504", reqH: []string{"Cache-Control", "only-if-cached"},
			noRec: true, action: GatewayTimeout, reason: "only-if-cached"},
		{name: "RFC9111 5.2.1.7 only-if-cached with no-cache answers 504", reqH: []string{"Cache-Control", "only-if-cached, no-cache"},
			respH: fresh60, now: time.Second, action: GatewayTimeout, reason: "only-if-cached"},
		{name: "RFC9111 5.2.1.7 only-if-cached with max-stale serves stale", reqH: []string{"Cache-Control", "only-if-cached, max-stale"},
			respH: fresh60, now: time.Hour, action: Serve, reason: "max-stale", stale: true},
		{name: "RFC9111 5.2.1.7 only-if-cached never revalidates in stale-while-revalidate window",
			reqH: []string{"Cache-Control", "only-if-cached"}, respH: []string{"Cache-Control", "max-age=60, stale-while-revalidate=60", "Etag", etag},
			now: 90 * time.Second, action: GatewayTimeout, reason: "only-if-cached"},
		{name: "Controls OnlyIfCached miss answers 504", ctl: Controls{OnlyIfCached: true}, noRec: true,
			action: GatewayTimeout, reason: "only-if-cached"},
		{name: "Controls OnlyIfCached with ForceRefresh answers 504", ctl: Controls{OnlyIfCached: true, ForceRefresh: true},
			respH: fresh60, action: GatewayTimeout, reason: "only-if-cached"},

		{name: "Controls Refresh revalidates", ctl: Controls{Refresh: true}, respH: fresh60, now: time.Second,
			action: Revalidate, reason: "refresh", inm: etag},
		{name: "Controls Refresh without validator fetches", ctl: Controls{Refresh: true},
			respH: []string{"Cache-Control", "max-age=60"}, now: time.Second, action: Fetch, reason: "refresh"},
		{name: "RFC8246 2 immutable fresh response not revalidated on Refresh", ctl: Controls{Refresh: true},
			respH: []string{"Cache-Control", "max-age=60, immutable", "Etag", etag}, now: time.Second, action: Serve, reason: "fresh"},
		{name: "RFC8246 2 immutable stale response revalidated on Refresh", ctl: Controls{Refresh: true},
			respH: []string{"Cache-Control", "max-age=60, immutable", "Etag", etag}, now: 90 * time.Second,
			action: Revalidate, reason: "refresh", stale: true, inm: etag},
		{name: "RFC8246 2 immutable still revalidated on request no-cache", reqH: []string{"Cache-Control", "no-cache"},
			respH: []string{"Cache-Control", "max-age=60, immutable", "Etag", etag}, now: time.Second,
			action: Revalidate, reason: "no-cache-request", inm: etag},
		{name: "Controls ForceRefresh fetches", ctl: Controls{ForceRefresh: true}, respH: fresh60, action: Fetch, reason: "force-refresh"},
		{name: "Controls ForceRefresh fetches immutable", ctl: Controls{ForceRefresh: true},
			respH: []string{"Cache-Control", "max-age=60, immutable"}, action: Fetch, reason: "force-refresh"},
		{name: "Controls Bypass passes", ctl: Controls{Bypass: true}, respH: fresh60, action: Pass, reason: "bypass"},
		{name: "RFC9111 3 uncacheable method passes", method: http.MethodPost, respH: fresh60, action: Pass, reason: "method"},
		{name: "Controls Expire DoNotCache passes", ctl: Controls{Expire: DoNotCache}, respH: fresh60, action: Pass, reason: "do-not-cache"},
		{name: "URL rule DoNotCache passes", p: Policy{Rules: []Rule{{Glob: "example.com/a", Expire: DoNotCache}}}, noRec: true,
			action: Pass, reason: "do-not-cache"},
		{name: "Controls Expire bounds acceptable age", ctl: Controls{Expire: Expiry(10 * time.Second)}, respH: fresh60,
			now: 30 * time.Second, action: Revalidate, reason: "expire", inm: etag},
		{name: "Controls Expire within bound serves", ctl: Controls{Expire: Expiry(40 * time.Second)}, respH: fresh60,
			now: 30 * time.Second, action: Serve, reason: "fresh"},
		{name: "Controls Expire ExpireImmediately revalidates", ctl: Controls{Expire: ExpireImmediately}, respH: fresh60,
			now: time.Second, action: Revalidate, reason: "expire-immediately", inm: etag},
		{name: "AlwaysRevalidate revalidates fresh response", p: Policy{AlwaysRevalidate: true}, respH: fresh60,
			now: time.Second, action: Revalidate, reason: "always-revalidate", inm: etag},
		{name: "AlwaysRevalidate serves a fresh response without validator", p: Policy{AlwaysRevalidate: true},
			respH: []string{"Cache-Control", "max-age=60"}, now: time.Second, action: Serve, reason: "fresh"},
		{name: "AlwaysRevalidate refetches a stale response without validator", p: Policy{AlwaysRevalidate: true},
			respH: []string{"Cache-Control", "max-age=60"}, now: 2 * time.Minute, action: Fetch, reason: "stale", stale: true},
		{name: "RFC9111 5.2.2.4 response no-cache revalidates", respH: []string{"Cache-Control", "max-age=60, no-cache", "Etag", etag},
			now: time.Second, action: Revalidate, reason: "no-cache", inm: etag},
		{name: "record Revalidate flag revalidates", respH: fresh60, mutate: func(r *models.Response) { r.Revalidate = true },
			now: time.Second, action: Revalidate, reason: "revalidate", inm: etag},
		{name: "RFC5861 3 stale-while-revalidate window", respH: []string{"Cache-Control", "max-age=60, stale-while-revalidate=60", "Etag", etag},
			now: 90 * time.Second, action: ServeStaleAndRevalidate, reason: "stale-while-revalidate", stale: true, inm: etag},
		{name: "RFC5861 3 stale-while-revalidate window over", respH: []string{"Cache-Control", "max-age=60, stale-while-revalidate=60", "Etag", etag},
			now: 130 * time.Second, action: Revalidate, reason: "stale", stale: true, inm: etag},
		{name: "RFC5861 3 Policy StaleWhileRevalidate window", p: Policy{StaleWhileRevalidate: time.Minute}, respH: fresh60,
			now: 90 * time.Second, action: ServeStaleAndRevalidate, reason: "stale-while-revalidate", stale: true, inm: etag},
		{name: "RFC5861 3 stale-while-revalidate not with must-revalidate",
			respH: []string{"Cache-Control", "max-age=60, stale-while-revalidate=60, must-revalidate", "Etag", etag},
			now:   90 * time.Second, action: Revalidate, reason: "must-revalidate", stale: true, inm: etag},
		{name: "RFC5861 3 stale-while-revalidate not with no-cache",
			respH: []string{"Cache-Control", "max-age=60, stale-while-revalidate=60, no-cache", "Etag", etag},
			now:   90 * time.Second, action: Revalidate, reason: "no-cache", stale: true, inm: etag},
		{name: "HEAD record does not answer GET", recMethod: http.MethodHead, respH: fresh60, now: time.Second,
			action: Fetch, reason: "head-only"},
		{name: "RFC9111 4.3.5 GET record answers HEAD", method: http.MethodHead, respH: fresh60, now: time.Second,
			action: Serve, reason: "fresh"},
		{name: "IgnoreCacheControl ignores stored no-cache and must-revalidate", p: Policy{IgnoreCacheControl: true, Expire: Expiry(time.Minute)},
			reqH: []string{"Cache-Control", "max-stale"}, respH: []string{"Cache-Control", "no-cache, must-revalidate", "Etag", etag},
			now: 90 * time.Second, action: Serve, reason: "max-stale", stale: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, tt.run)
	}
}

func TestLookupNilRequest(t *testing.T) {
	p := &Policy{}
	if d := p.Lookup(nil, Controls{}, nil, t0); d.Action != Pass {
		t.Errorf("Lookup(nil) = %+v, want Pass", d)
	}
}

// TestValidators: the validators Lookup returns for revalidation (RFC 9111
// §4.3.1) are read by name in any case, set into a request's header by
// AddTo (replacing what it held, adding nothing for a missing validator),
// and Empty exactly when the stored response had neither.
func TestValidators(t *testing.T) {
	v := Validators{IfNoneMatch: `"v1"`, IfModifiedSince: "Mon, 02 Jan 2006 15:04:05 GMT"}
	if v.Get("if-none-match") != `"v1"` || v.Get("IF-MODIFIED-SINCE") != v.IfModifiedSince || v.Get("If-Match") != "" {
		t.Errorf("Get: %q %q %q", v.Get("if-none-match"), v.Get("IF-MODIFIED-SINCE"), v.Get("If-Match"))
	}
	h := http.Header{"If-None-Match": {`"old"`}, "Accept": {"*/*"}}
	v.AddTo(h)
	if h.Get("If-None-Match") != `"v1"` || len(h["If-None-Match"]) != 1 || h.Get("If-Modified-Since") != v.IfModifiedSince || h.Get("Accept") != "*/*" {
		t.Errorf("AddTo: %v", h)
	}
	etagOnly := Validators{IfNoneMatch: `"v1"`}
	h = http.Header{}
	etagOnly.AddTo(h)
	if _, ok := h["If-Modified-Since"]; ok || etagOnly.Len() != 1 || v.Len() != 2 {
		t.Errorf("ETag only: AddTo set %v, Len %d", h, etagOnly.Len())
	}
	if v.Empty() || etagOnly.Empty() || !(Validators{}).Empty() {
		t.Error("Empty")
	}
}
