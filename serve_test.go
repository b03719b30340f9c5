package cachedhttp

import (
	"context"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cachedhttp/cachedhttp/backends/memory"
)

// waitWritten waits until nothing is queued for key: the next read of it
// goes to the backend (and the decoded-record cache).
func waitWritten(t *testing.T, tr *Transport, key string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, queued := tr.wb.lookup(key); !queued {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("record %s still queued after 10 s", key)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestHitHeaderIsTheCallers: the header of a response served from storage
// is the caller's (as an http.Response's always is). Whatever the caller
// does to it, in place or not, the next hit gets the stored fields as they
// were, whether the header is copied from the decoded-record cache's lists
// (decodedRec.cloneHeader) or from the record's map (cloneHeader).
func TestHitHeaderIsTheCallers(t *testing.T) {
	for _, tc := range []struct {
		name    string
		opts    []Option
		decoded bool
	}{
		{name: "decoded-record cache", decoded: true},
		{name: "no decoded-record cache", opts: []Option{WithDecodedCache(0)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, counter("max-age=600", "X-Two", "a", "Etag", `"v1"`), tc.opts...)
			first := h.get("/h")
			key, err := h.tr.Key(first.resp.Request)
			if err != nil {
				t.Fatal(err)
			}
			waitWritten(t, h.tr, key)
			want := map[string][]string{}
			for i := 0; i < 4; i++ {
				r := h.get("/h")
				wantStatus(t, r, "cachedhttp; hit")
				var hint readHint
				if rec := h.tr.getAt(context.Background(), key, &hint); (hint.prepared(rec) != nil) != tc.decoded {
					t.Fatalf("read from the decoded-record cache: %v, want %v", hint.prepared(rec) != nil, tc.decoded)
				}
				for _, name := range []string{"Cache-Control", "X-Two", "Etag", "Content-Type"} {
					got := r.resp.Header[name]
					if i == 0 {
						want[name] = slices.Clone(got)
					} else if !slices.Equal(got, want[name]) {
						t.Fatalf("hit %d: %s = %q, want %q (a caller's change reached the store)", i, name, got, want[name])
					}
				}
				// What callers do to a header they own.
				hd := r.resp.Header
				hd["Cache-Control"][0] = "changed in place"
				hd["X-Two"] = append(hd["X-Two"], "appended")
				hd["Etag"][0] = `"forged"`
				hd.Set("Content-Type", "text/forged")
				hd.Add("X-New", "1")
				hd.Del("Date")
			}
			h.wantHits(1)
			if first.resp.Header.Get("X-New") != "" {
				t.Fatalf("the miss's header changed: %v", first.resp.Header)
			}
		})
	}
}

// TestHitFromDecodedRecordDecidesAsLookup (RFC 9111 §4.2.3, §5.2.2): the
// policy's inputs prepared with a decoded record give the hit the same Age,
// TTL and Cache-Status as a record read again. The stored response has an
// Age of its own, so the corrected initial age is not zero.
func TestHitFromDecodedRecordDecidesAsLookup(t *testing.T) {
	handler := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=600")
		w.Header().Set("Age", "100")
		w.Write([]byte("body"))
	}
	var got [2][]string
	for i, opts := range [][]Option{nil, {WithDecodedCache(0)}} {
		h := newHarness(t, handler, opts...)
		first := h.get("/a")
		key, _ := h.tr.Key(first.resp.Request)
		waitWritten(t, h.tr, key)
		h.clk.Advance(30 * time.Second)
		r := h.get("/a")
		h.wantHits(1)
		got[i] = []string{r.resp.Header.Get("Age"), r.resp.Header.Get("Cache-Status")}
	}
	if got[0][0] != "130" || !slices.Equal(got[0], got[1]) {
		t.Fatalf("decoded: Age, Cache-Status = %q; read again: %q; want Age 130 in both", got[0], got[1])
	}
}

// TestHitStampsFollowTheClock (RFC 9111 §5.1 Age, RFC 9211 §2.4 ttl): hits
// from the decoded-record cache share the Age and Cache-Status values
// formatted for their second (decodedRec.stamped), and get new ones as the
// clock moves: every hit's Age and ttl are those of its own time, a hit
// with another detail (stale-while-revalidate) gets its own, and values a
// caller kept do not change.
func TestHitStampsFollowTheClock(t *testing.T) {
	h := newHarness(t, counter("max-age=600, stale-while-revalidate=3600"))
	first := h.get("/s")
	key, _ := h.tr.Key(first.resp.Request)
	waitWritten(t, h.tr, key)
	type kept struct {
		hdr         http.Header
		age, status string
	}
	var all []kept
	elapsed := time.Duration(0)
	for i := range 12 {
		r := h.get("/s")
		wantAge := strconv.Itoa(int(elapsed / time.Second))
		wantTTL := "ttl=" + strconv.Itoa(int((600*time.Second-elapsed).Round(time.Second)/time.Second))
		if got := r.resp.Header.Get("Age"); got != wantAge {
			t.Fatalf("hit %d at +%v: Age %q, want %s", i, elapsed, got, wantAge)
		}
		if got := r.resp.Header.Get("Cache-Status"); got != "cachedhttp; hit; "+wantTTL {
			t.Fatalf("hit %d at +%v: Cache-Status %q, want %s", i, elapsed, got, wantTTL)
		}
		all = append(all, kept{r.resp.Header, strings.Clone(r.resp.Header.Get("Age")), strings.Clone(r.resp.Header.Get("Cache-Status"))})
		h.clk.Advance(400 * time.Millisecond) // two or three hits a second
		elapsed += 400 * time.Millisecond
	}
	// Stale within stale-while-revalidate: the same age second twice,
	// with its own detail.
	h.clk.Advance(601*time.Second - elapsed)
	r := h.get("/s")
	if got := r.resp.Header.Get("Cache-Status"); !strings.Contains(got, "detail=stale-while-revalidate") || r.resp.Header.Get("Age") != "601" {
		t.Fatalf("stale hit: Age %q, Cache-Status %q", r.resp.Header.Get("Age"), got)
	}
	for i, k := range all {
		if k.hdr.Get("Age") != k.age || k.hdr.Get("Cache-Status") != k.status {
			t.Fatalf("response %d: Age %q, Cache-Status %q changed to %q, %q", i, k.age, k.status, k.hdr.Get("Age"), k.hdr.Get("Cache-Status"))
		}
	}
}

// TestRequestKeyMemo: a request keyed by its method and URL alone has its
// key from the Transport's memo once asked twice, and the key is always
// the one keys.Config.Create computes; over random requests whose header,
// body, user info, Host field, path encoding or method change the key or
// keep it, under a configuration that matches and redacts fields.
func TestRequestKeyMemo(t *testing.T) {
	tr, err := NewTransport(WithBackend(memory.New(memory.Options{})), WithIgnoredParams("t"), WithMatchHeaders("Accept"))
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	urls := []string{"http://h.example/a?t=1&q=2", "http://h.example/a?q=2", "http://h.example/a", "http://u:p@h.example/a", "https://H.EXAMPLE:443/b/../c", "http://h.example/%41%2F", "http://h.example/A/"}
	hdrs := []http.Header{{}, {"Accept": {"text/html"}}, {"User-Agent": {"x"}}, {"Authorization": {"Bearer a"}}, {"Authorization": {"Bearer b"}}, {"X-Http-Method-Override": {"DELETE"}}}
	r := rand.New(rand.NewPCG(7, 8))
	for i := range 5000 {
		u, _ := url.Parse(urls[r.IntN(len(urls))])
		if r.IntN(4) == 0 && u.Path != "" {
			u.RawPath = strings.ToLower(u.EscapedPath())
		}
		req := &http.Request{Method: []string{"GET", "HEAD", "get", "POST"}[r.IntN(4)], URL: u, Header: hdrs[r.IntN(len(hdrs))].Clone()}
		if r.IntN(5) == 0 {
			req.Host = "other.example"
		}
		var body []byte
		if req.Method == "POST" && r.IntN(2) == 0 {
			body = []byte("b")
		}
		want := tr.keys.Create(req, body)
		for range 3 {
			if got, _ := tr.key(req, body); got != want {
				t.Fatalf("case %d: %s %s %v Host %q body %q: key %s, Create %s", i, req.Method, u, req.Header, req.Host, body, got, want)
			}
		}
	}
	n := 0
	tr.reqKeys.Entries(func(string, string) { n++ })
	if n == 0 {
		t.Fatal("no request kept by the memo")
	}
}

// TestHitAllocations: a hit on a record in the decoded-record cache costs
// the response and its body (one allocation), its header map (two: the map
// and its slots) and nothing else: the key, the lookup, Age, Cache-Status
// and the header's values come from memos or from the response's own
// allocation. A regression on the hit path shows here first.
func TestHitAllocations(t *testing.T) {
	h := newHarness(t, counter("max-age=600", "Etag", `"v1"`, "Content-Type", "text/plain"))
	first := h.get("/alloc")
	key, _ := h.tr.Key(first.resp.Request)
	waitWritten(t, h.tr, key)
	req, _ := http.NewRequest(http.MethodGet, h.o.URL+"/alloc", nil)
	hit := func() {
		resp, err := h.tr.RoundTrip(req)
		if err != nil || Info(resp).FromCache != true {
			t.Fatalf("not a hit: %v", err)
		}
		resp.Body.Close()
	}
	hit()
	hit() // the request's key is kept at its second sight
	if n := testing.AllocsPerRun(200, hit); n > 3 {
		t.Fatalf("a hit costs %.1f allocations, want at most 3", n)
	}
	h.wantHits(1)
}
