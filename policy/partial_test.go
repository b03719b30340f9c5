package policy

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/cachedhttp/cachedhttp/models"
)

func TestParseContentRange(t *testing.T) {
	tests := []struct {
		name, v string
		ok      bool
		want    ContentRange
	}{
		{"RFC9110 14.4 range-resp with complete length", "bytes 0-4/10", true, ContentRange{0, 4, 10}},
		{"RFC9110 14.4 unknown complete length", "bytes 5-9/*", true, ContentRange{5, 9, -1}},
		{"RFC9110 14.1 range unit is case-insensitive", "Bytes 0-0/1", true, ContentRange{0, 0, 1}},
		{"surrounding whitespace", " bytes 1-2/3 ", true, ContentRange{1, 2, 3}},
		{"RFC9110 14.4 last-pos less than first-pos is invalid", "bytes 5-4/10", false, ContentRange{}},
		{"RFC9110 14.4 complete-length not past last-pos is invalid", "bytes 0-9/9", false, ContentRange{}},
		{"RFC9110 14.4 unsatisfied-range is no part", "bytes */10", false, ContentRange{}},
		{"another unit", "items 0-4/10", false, ContentRange{}},
		{"no unit", "0-4/10", false, ContentRange{}},
		{"no length", "bytes 0-4", false, ContentRange{}},
		{"sign", "bytes +0-4/10", false, ContentRange{}},
		{"inner whitespace", "bytes 0 - 4/10", false, ContentRange{}},
		{"overflow", "bytes 0-99999999999999999999/*", false, ContentRange{}},
		{"empty", "", false, ContentRange{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ParseContentRange(tt.v)
			if ok != tt.ok || ok && got != tt.want {
				t.Fatalf("ParseContentRange(%q) = %+v, %v; want %+v, %v", tt.v, got, ok, tt.want, tt.ok)
			}
		})
	}
	if s := (ContentRange{5, 9, -1}).String(); s != "bytes 5-9/*" {
		t.Errorf("String = %q", s)
	}
}

func TestParseRangeResolve(t *testing.T) {
	tests := []struct {
		v           string
		length      int64
		ok, sat     bool
		first, last int64
	}{
		{"bytes=0-4", 10, true, true, 0, 4},
		{"bytes=5-", 10, true, true, 5, 9},
		{"bytes=-3", 10, true, true, 7, 9},
		{"bytes=-30", 10, true, true, 0, 9},
		{"bytes=8-100", 10, true, true, 8, 9},
		{"bytes=10-", 10, true, false, 0, 0},
		{"bytes=-0", 10, true, false, 0, 0},
		{"bytes=5-4", 10, false, false, 0, 0},
		{"bytes=0-1,3-4", 10, false, false, 0, 0},
		{"items=0-1", 10, false, false, 0, 0},
	}
	for _, tt := range tests {
		spec, ok := ParseRange(tt.v)
		if ok != tt.ok {
			t.Errorf("ParseRange(%q) ok = %v", tt.v, ok)
			continue
		}
		if !ok {
			continue
		}
		first, last, sat := spec.Resolve(tt.length)
		if sat != tt.sat || sat && (first != tt.first || last != tt.last) {
			t.Errorf("%q.Resolve(%d) = %d, %d, %v; want %d, %d, %v", tt.v, tt.length, first, last, sat, tt.first, tt.last, tt.sat)
		}
	}
}

func TestStrongValidators(t *testing.T) {
	d := httpDate(t0)
	lm := httpDate(at(-time.Minute))
	recent := httpDate(at(-time.Second))
	t.Run("RFC9110 13.1.5 If-Range value", func(t *testing.T) {
		for _, c := range []struct {
			h    http.Header
			want string
		}{
			{hdr("Etag", `"a"`), `"a"`},
			{hdr("Etag", `W/"a"`), ""},
			{hdr("Etag", `W/"a"`, "Last-Modified", lm, "Date", d), ""}, // an ETag, weak: no date fallback
			{hdr("Last-Modified", lm, "Date", d), lm},
			{hdr("Last-Modified", recent, "Date", d), ""}, // RFC9110 8.8.2.2: under 60 s before Date
			{hdr("Last-Modified", lm), ""},                // no Date
			{hdr(), ""},
		} {
			if got := StrongValidator(c.h); got != c.want {
				t.Errorf("StrongValidator(%v) = %q, want %q", c.h, got, c.want)
			}
		}
	})
	t.Run("RFC9111 3.4 same strong validator", func(t *testing.T) {
		for _, c := range []struct {
			a, b http.Header
			want bool
		}{
			{hdr("Etag", `"a"`), hdr("Etag", `"a"`), true},
			{hdr("Etag", `"a"`), hdr("Etag", `"b"`), false},
			{hdr("Etag", `W/"a"`), hdr("Etag", `W/"a"`), false},
			{hdr("Etag", `"a"`), hdr("Last-Modified", lm, "Date", d), false},
			{hdr("Last-Modified", lm, "Date", d), hdr("Last-Modified", lm, "Date", httpDate(at(time.Hour))), true},
			{hdr("Last-Modified", recent, "Date", d), hdr("Last-Modified", recent, "Date", d), false},
			{hdr(), hdr(), false},
		} {
			if got := SameStrongValidator(c.a, c.b); got != c.want {
				t.Errorf("SameStrongValidator(%v, %v) = %v", c.a, c.b, got)
			}
		}
	})
	t.Run("RFC9110 13.1.5 If-Range evaluation", func(t *testing.T) {
		h := hdr("Etag", `"a"`, "Last-Modified", lm, "Date", d)
		for _, c := range []struct {
			ir   string
			h    http.Header
			want bool
		}{
			{`"a"`, h, true},
			{`W/"a"`, h, false},
			{`"b"`, h, false},
			{lm, h, true},
			{lm, hdr("Last-Modified", lm), false}, // a date not known strong
			{"Wed, 04 Mar 2026 11:59:00 GMT", hdr("Last-Modified", "Wed, 04 Mar 2026 11:59:00 GMT", "Date", d), true},
		} {
			if got := IfRangeMatches(c.ir, c.h); got != c.want {
				t.Errorf("IfRangeMatches(%q, %v) = %v", c.ir, c.h, got)
			}
		}
	})
}

// storedPart is a stored partial record holding cr of "0123456789", with strong
// ETag "v" unless kv (field, value pairs that replace) says otherwise.
func storedPart(cr string, kv ...string) *models.Response {
	c, ok := ParseContentRange(cr)
	if !ok {
		panic(cr)
	}
	h := hdr("Etag", `"v"`, "Content-Range", cr, "Cache-Control", "max-age=60", "Date", httpDate(t0))
	for i := 0; i+1 < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return &models.Response{StatusCode: 206, Header: h, Body: []byte("0123456789"[c.First : c.Last+1]),
		Request: models.Request{Method: http.MethodGet}, Created: t0, Expires: at(time.Minute)}
}

func TestPartialFor(t *testing.T) {
	span := func(a, b int64) Span { return Span{a, b} }
	tests := []struct {
		name   string
		stored string
		method string
		reqH   []string
		action PartialAction
		want   Span
		fetch  Span
		whole  bool
	}{
		{name: "RFC9111 3.3 a range wholly within the part is served", stored: "bytes 0-4/10",
			reqH: []string{"Range", "bytes=1-3"}, action: PartialServe, want: span(1, 3)},
		{name: "RFC9111 3.3 the part's own range", stored: "bytes 0-4/10",
			reqH: []string{"Range", "bytes=0-4"}, action: PartialServe, want: span(0, 4)},
		{name: "a suffix resolved against the complete length", stored: "bytes 5-9/10",
			reqH: []string{"Range", "bytes=-3"}, action: PartialServe, want: span(7, 9)},
		{name: "an open range resolved against the complete length", stored: "bytes 5-9/10",
			reqH: []string{"Range", "bytes=6-"}, action: PartialServe, want: span(6, 9)},
		{name: "RFC9111 3.3 no Range: completed with the rest, to the end", stored: "bytes 0-4/10",
			action: PartialComplete, want: span(0, 9), fetch: span(5, -1), whole: true},
		{name: "no Range, suffix part: completed with the prefix", stored: "bytes 5-9/10",
			action: PartialComplete, want: span(0, 9), fetch: span(0, 4), whole: true},
		{name: "a range running past the part asks for the rest of the range", stored: "bytes 0-4/10",
			reqH: []string{"Range", "bytes=3-7"}, action: PartialComplete, want: span(3, 7), fetch: span(5, 7)},
		{name: "a range starting before the part asks for its start", stored: "bytes 5-9/10",
			reqH: []string{"Range", "bytes=2-6"}, action: PartialComplete, want: span(2, 6), fetch: span(2, 4)},
		{name: "unknown length: closed range within", stored: "bytes 0-4/*",
			reqH: []string{"Range", "bytes=2-3"}, action: PartialServe, want: span(2, 3)},
		{name: "unknown length: no Range asks for the open rest", stored: "bytes 0-4/*",
			action: PartialComplete, want: span(0, -1), fetch: span(5, -1), whole: true},
		{name: "unknown length: a suffix cannot be placed", stored: "bytes 0-4/*",
			reqH: []string{"Range", "bytes=-2"}},
		{name: "unknown length, suffix part: no Range is forwarded", stored: "bytes 5-9/*"},
		{name: "a range the part does not touch is forwarded", stored: "bytes 0-4/10",
			reqH: []string{"Range", "bytes=7-8"}, want: span(7, 8)},
		{name: "a range containing the part on both sides is forwarded", stored: "bytes 3-5/10",
			reqH: []string{"Range", "bytes=1-8"}, want: span(1, 8)},
		{name: "RFC9110 9.3.2 HEAD is forwarded", stored: "bytes 0-4/10", method: http.MethodHead},
		{name: "RFC9110 13.1 If-None-Match is forwarded", stored: "bytes 0-4/10",
			reqH: []string{"Range", "bytes=1-2", "If-None-Match", `"v"`}},
		{name: "RFC9110 13.1 If-Modified-Since is forwarded", stored: "bytes 0-4/10",
			reqH: []string{"If-Modified-Since", httpDate(t0)}},
		{name: "RFC9110 13.1.5 If-Range matching", stored: "bytes 0-4/10",
			reqH: []string{"Range", "bytes=1-2", "If-Range", `"v"`}, action: PartialServe, want: span(1, 2)},
		{name: "RFC9110 13.1.5 If-Range not matching is forwarded", stored: "bytes 0-4/10",
			reqH: []string{"Range", "bytes=1-2", "If-Range", `"w"`}},
		{name: "If-Range without Range is forwarded", stored: "bytes 0-4/10",
			reqH: []string{"If-Range", `"v"`}},
		{name: "RFC9110 14.2 several ranges are forwarded", stored: "bytes 0-4/10",
			reqH: []string{"Range", "bytes=0-1,3-4"}},
		{name: "RFC9110 14.1.1 unsatisfiable range is forwarded", stored: "bytes 0-4/10",
			reqH: []string{"Range", "bytes=10-"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := tt.method
			if m == "" {
				m = http.MethodGet
			}
			u := PartialFor(newReq(t, m, "https://example.com/a", tt.reqH...), storedPart(tt.stored))
			if u.Action != tt.action {
				t.Fatalf("Action = %v, want %v (%+v)", u.Action, tt.action, u)
			}
			if tt.action == PartialForward {
				return
			}
			if u.Want != tt.want || u.Whole != tt.whole {
				t.Errorf("Want %+v Whole %v; want %+v %v", u.Want, u.Whole, tt.want, tt.whole)
			}
			if tt.action == PartialComplete && (u.Fetch != tt.fetch || u.IfRange != `"v"`) {
				t.Errorf("Fetch %+v If-Range %q; want %+v", u.Fetch, u.IfRange, tt.fetch)
			}
		})
	}
	t.Run("a part inconsistent with its Content-Range is never used", func(t *testing.T) {
		rec := storedPart("bytes 0-4/10")
		rec.Body = rec.Body[:3]
		if u := PartialFor(get(t, "Range", "bytes=0-1"), rec); u.Action != PartialForward {
			t.Fatalf("Action = %v", u.Action)
		}
	})
	t.Run("Span.Header", func(t *testing.T) {
		if s := (Span{5, -1}).Header(); s != "bytes=5-" {
			t.Errorf("%q", s)
		}
		if s := (Span{5, 7}).Header(); s != "bytes=5-7" {
			t.Errorf("%q", s)
		}
	})
}

func TestPartialFits(t *testing.T) {
	stored := storedPart("bytes 0-4/10")
	u := PartialFor(get(t), stored) // asks for bytes=5-
	resp := func(code int, kv ...string) *http.Response { return newResp(nil, code, kv...) }
	tests := []struct {
		name string
		resp *http.Response
		ok   bool
	}{
		{"RFC9111 3.4 the run asked for, same strong validator", resp(206, "Content-Range", "bytes 5-9/10", "Etag", `"v"`), true},
		{"RFC9111 3.4 another strong validator", resp(206, "Content-Range", "bytes 5-9/10", "Etag", `"w"`), false},
		{"another run", resp(206, "Content-Range", "bytes 4-9/10", "Etag", `"v"`), false},
		{"not to the end", resp(206, "Content-Range", "bytes 5-8/10", "Etag", `"v"`), false},
		{"another complete length", resp(206, "Content-Range", "bytes 5-10/11", "Etag", `"v"`), false},
		{"a 200", resp(200, "Etag", `"v"`), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, ok := PartialFits(u, stored.Header, tt.resp); ok != tt.ok {
				t.Fatalf("PartialFits = %v, want %v", ok, tt.ok)
			}
		})
	}
}

func TestCombine(t *testing.T) {
	complete := &models.Response{StatusCode: 200, Header: hdr("Etag", `"v"`, "Content-Length", "10"), Body: []byte("0123456789"),
		Request: models.Request{Method: http.MethodGet}}
	tests := []struct {
		name       string
		stored     *models.Response
		fresh      *models.Response
		code       int
		body, cr   string
		headerFrom string
	}{
		{"RFC9110 15.3.7.3 adjacent parts make the whole: a 200", storedPart("bytes 0-4/10"), storedPart("bytes 5-9/10", "X-New", "1"), 200, "0123456789", "", "1"},
		{"RFC9111 3.4 overlapping parts combine", storedPart("bytes 0-4/10"), storedPart("bytes 3-7/10", "X-New", "1"), 206, "01234567", "bytes 0-7/10", "1"},
		{"the newer part first", storedPart("bytes 5-9/10"), storedPart("bytes 2-5/10", "X-New", "1"), 206, "23456789", "bytes 2-9/10", "1"},
		{"unknown length learnt from the newer part", storedPart("bytes 0-4/*"), storedPart("bytes 5-9/10"), 200, "0123456789", "", ""},
		{"a part that is the whole alone is a 200", nil, storedPart("bytes 0-9/10"), 200, "0123456789", "", ""},
		{"disjoint parts: the newer is kept", storedPart("bytes 0-2/10"), storedPart("bytes 7-9/10", "X-New", "1"), 206, "789", "bytes 7-9/10", "1"},
		{"RFC9111 3.4 another strong validator: the newer is kept", storedPart("bytes 0-4/10", "Etag", `"w"`), storedPart("bytes 5-9/10"), 206, "56789", "bytes 5-9/10", ""},
		{"another complete length: the newer is kept", storedPart("bytes 0-4/11"), storedPart("bytes 5-9/10"), 206, "56789", "bytes 5-9/10", ""},
		{"a complete 200 fills the rest", complete, storedPart("bytes 2-3/10", "X-New", "1"), 200, "0123456789", "", "1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := Combine(tt.stored, tt.fresh)
			if out == nil {
				t.Fatal("nil")
			}
			if out.StatusCode != tt.code || string(out.Body) != tt.body || out.Header.Get("Content-Range") != tt.cr {
				t.Fatalf("%d %q %q; want %d %q %q", out.StatusCode, out.Body, out.Header.Get("Content-Range"), tt.code, tt.body, tt.cr)
			}
			if cl := out.Header.Get("Content-Length"); cl != strconv.Itoa(len(tt.body)) {
				t.Errorf("Content-Length %q for %d bytes", cl, len(tt.body))
			}
			if out.Header.Get("X-New") != tt.headerFrom {
				t.Errorf("RFC9111 3.4 the new response's fields are not used: %v", out.Header)
			}
		})
	}
	t.Run("an inconsistent part is not stored", func(t *testing.T) {
		bad := storedPart("bytes 0-4/10")
		bad.Body = bad.Body[:2]
		if Combine(nil, bad) != nil {
			t.Fatal("stored")
		}
	})
	t.Run("the arguments are not modified", func(t *testing.T) {
		a, b := storedPart("bytes 0-4/10"), storedPart("bytes 5-9/10")
		Combine(a, b)
		if a.Header.Get("Content-Range") != "bytes 0-4/10" || b.Header.Get("Content-Range") != "bytes 5-9/10" || b.StatusCode != 206 {
			t.Fatalf("%v %v", a.Header, b.Header)
		}
	})
}

// RFC 9111 §3.3 in Lookup: a part is served only to a range wholly within
// it; anything else is a miss (ReasonPartial), or 504 under only-if-cached.
func TestLookupPartial(t *testing.T) {
	p := &Policy{}
	rec := storedPart("bytes 0-4/10")
	if d := p.Lookup(get(t, "Range", "bytes=1-2"), Controls{}, rec, at(time.Second)); d.Action != Serve {
		t.Errorf("range within: %+v", d)
	}
	if d := p.Lookup(get(t), Controls{}, rec, at(time.Second)); d.Action != Fetch || d.Reason != ReasonPartial {
		t.Errorf("whole: %+v", d)
	}
	if d := p.Lookup(get(t, "Cache-Control", "only-if-cached"), Controls{}, rec, at(time.Second)); d.Action != GatewayTimeout {
		t.Errorf("only-if-cached: %+v", d)
	}
	if d := p.Lookup(get(t, "Range", "bytes=1-2"), Controls{}, rec, at(2*time.Minute)); d.Action != Revalidate || d.Conditional.Get("If-None-Match") != `"v"` {
		t.Errorf("stale range within: %+v", d)
	}
	// RFC 5861 §4: stale-if-error serves a stale part only to a range within.
	p = &Policy{StaleIfErrorWindow: time.Hour}
	if !p.StaleIfError(get(t, "Range", "bytes=1-2"), rec, 500, at(2*time.Minute)) {
		t.Error("stale-if-error refused a range within the part")
	}
	if p.StaleIfError(get(t), rec, 500, at(2*time.Minute)) {
		t.Error("stale-if-error served a part whole")
	}
}

// RFC 9111 §4.3.4: a 304 freshens a stored part, which stays a part.
func TestFreshenPartial(t *testing.T) {
	p := &Policy{}
	rec := storedPart("bytes 0-4/10", "Content-Length", "5")
	req := get(t, "Range", "bytes=1-2", "If-None-Match", `"v"`)
	resp := newResp(req, 304, "Etag", `"v"`, "Cache-Control", "max-age=120", "Date", httpDate(at(time.Hour)))
	out, st := p.Freshen(req, Controls{}, rec, resp, at(time.Hour), at(time.Hour))
	if out == nil || !st.OK {
		t.Fatalf("not freshened: %+v", st)
	}
	if out.StatusCode != 206 || out.Header.Get("Content-Range") != "bytes 0-4/10" || !out.Expires.Equal(at(time.Hour+2*time.Minute)) {
		t.Fatalf("%d %v %v", out.StatusCode, out.Header, out.Expires)
	}
}
