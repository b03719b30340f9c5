package cachedhttp

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// These tests pin the use of stored partial content (RFC 9111 §3.3, §3.4;
// RFC 9110 §14, §15.3.7) against a real origin that answers Range requests
// with http.ServeContent and records the Range and If-Range fields it gets.

const rep = "0123456789"

// rangeOrigin serves body with etag (strong unless told otherwise) and
// max-age=60 through http.ServeContent, which honours Range and If-Range.
func rangeOrigin(etag *atomic.Value, body *atomic.Value) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=60")
		w.Header().Set("ETag", etag.Load().(string))
		http.ServeContent(w, r, "", time.Time{}, strings.NewReader(body.Load().(string)))
	}
}

func newRangeHarness(t *testing.T) (h *harness, etag, body *atomic.Value) {
	t.Helper()
	etag, body = new(atomic.Value), new(atomic.Value)
	etag.Store(`"v1"`)
	body.Store(rep)
	return newHarness(t, rangeOrigin(etag, body)), etag, body
}

// asked lists, for each origin request, its Range field and If-Range field
// ("Range|If-Range", "" for none).
func (h *harness) asked() []string {
	h.o.mu.Lock()
	defer h.o.mu.Unlock()
	var out []string
	for _, r := range h.o.reqs {
		s := r.Header.Get("Range")
		if ir := r.Header.Get("If-Range"); ir != "" {
			s += "|" + ir
		}
		out = append(out, s)
	}
	return out
}

func (h *harness) wantAsked(want ...string) {
	h.t.Helper()
	if got := h.asked(); !slices.Equal(got, want) {
		h.t.Fatalf("origin asked %q, want %q", got, want)
	}
}

func wantAnswer(t *testing.T, r result, code int, body, contentRange string) {
	t.Helper()
	if r.resp.StatusCode != code || r.body != body || r.resp.Header.Get("Content-Range") != contentRange {
		t.Fatalf("status %d body %q Content-Range %q; want %d %q %q (Cache-Status %q)", r.resp.StatusCode, r.body,
			r.resp.Header.Get("Content-Range"), code, body, contentRange, r.resp.Header.Get("Cache-Status"))
	}
	if r.resp.ContentLength != int64(len(body)) || r.resp.Header.Get("Content-Length") != strconv.Itoa(len(body)) {
		t.Fatalf("Content-Length %d / %q for a body of %d bytes", r.resp.ContentLength, r.resp.Header.Get("Content-Length"), len(body))
	}
}

// RFC 9111 §3.3: "a 206 (Partial Content) response MAY be stored as if it
// were an incomplete 200 (OK) response", and "A cache MUST NOT use an
// incomplete response to answer requests unless ... the request is
// partial and specifies a range wholly within the incomplete response."
func TestRFC9111_3_3_PartialServesRangesWithinIt(t *testing.T) {
	h, _, _ := newRangeHarness(t)
	r := h.get("/p", "Range", "bytes=2-6")
	wantAnswer(t, r, 206, "23456", "bytes 2-6/10")
	wantStatus(t, r, "cachedhttp; fwd=uri-miss; fwd-status=206; stored; ttl=60")
	h.clk.Advance(10 * time.Second)
	cases := []struct{ rng, body, cr string }{
		{"bytes=2-6", "23456", "bytes 2-6/10"},
		{"bytes=3-4", "34", "bytes 3-4/10"},
		{"bytes=6-6", "6", "bytes 6-6/10"},
	}
	for _, c := range cases {
		t.Run(c.rng, func(t *testing.T) {
			r := h.get("/p", "Range", c.rng)
			wantAnswer(t, r, 206, c.body, c.cr)
			wantStatus(t, r, "cachedhttp; hit; ttl=50")
			if !r.info.FromCache || r.resp.Header.Get("Age") != "10" {
				t.Fatalf("info %+v Age %q", r.info, r.resp.Header.Get("Age"))
			}
		})
	}
	t.Run("If-Range matching the part", func(t *testing.T) {
		r := h.get("/p", "Range", "bytes=3-5", "If-Range", `"v1"`)
		wantAnswer(t, r, 206, "345", "bytes 3-5/10")
	})
	h.wantAsked("bytes=2-6")
	t.Run("a range running past the part goes forward", func(t *testing.T) {
		r := h.get("/p", "Range", "bytes=2-")
		wantAnswer(t, r, 206, "23456789", "bytes 2-9/10")
		wantStatus(t, r, "cachedhttp; fwd=partial; fwd-status=206; stored")
		h.wantAsked("bytes=2-6", `bytes=7-|"v1"`)
	})
}

// RFC 9111 §3.3: "A cache MAY complete a stored incomplete response by
// making a subsequent range request ... and combining the successful
// response with the stored response, as defined in Section 3.4." A request
// without Range, for which the part is a prefix, makes the cache ask only
// for bytes=5- under If-Range; the whole is stored as a complete 200
// (RFC 9110 §15.3.7.3) and later plain GETs are hits.
func TestRFC9111_3_4_PartialCompletedWithTheMissingBytesOnly(t *testing.T) {
	h, _, _ := newRangeHarness(t)
	h.get("/p", "Range", "bytes=0-4")
	r := h.get("/p")
	wantAnswer(t, r, 200, rep, "")
	// RFC 9211 §2.2 fwd=partial; the combination is stored.
	wantStatus(t, r, "cachedhttp; fwd=partial; fwd-status=206; stored; ttl=60")
	if r.info.FromCache {
		t.Fatal("an answer that needed the origin claims to come from the cache")
	}
	h.wantAsked("bytes=0-4", `bytes=5-|"v1"`)
	r = h.get("/p")
	wantAnswer(t, r, 200, rep, "")
	wantStatus(t, r, "cachedhttp; hit")
	r = h.get("/p", "Range", "bytes=-3")
	wantAnswer(t, r, 206, "789", "bytes 7-9/10")
	h.wantHits(2)
}

// A range that starts within the part and runs past it: the origin is
// asked for the rest of that range only, and the caller gets its 206 made
// of stored and new bytes; the union (0-7) is stored as a part.
func TestRFC9111_3_4_RangeStartingInThePartAsksForTheRest(t *testing.T) {
	h, _, _ := newRangeHarness(t)
	h.get("/p", "Range", "bytes=0-4")
	r := h.get("/p", "Range", "bytes=3-7")
	wantAnswer(t, r, 206, "34567", "bytes 3-7/10")
	wantStatus(t, r, "cachedhttp; fwd=partial; fwd-status=206; stored")
	r = h.get("/p", "Range", "bytes=0-7")
	wantAnswer(t, r, 206, "01234567", "bytes 0-7/10")
	wantStatus(t, r, "cachedhttp; hit")
	// An open range resolved against the now known complete length.
	r = h.get("/p", "Range", "bytes=6-")
	wantAnswer(t, r, 206, "6789", "bytes 6-9/10")
	h.wantAsked("bytes=0-4", `bytes=5-7|"v1"`, `bytes=8-|"v1"`)
	r = h.get("/p")
	wantAnswer(t, r, 200, rep, "")
	wantStatus(t, r, "cachedhttp; hit")
	h.wantHits(3)
}

// A part that is a suffix: a request without Range asks for the prefix it
// lacks (bytes=0-4), and the answer puts the new bytes first.
func TestRFC9111_3_4_SuffixPartCompletedWithThePrefix(t *testing.T) {
	h, _, _ := newRangeHarness(t)
	r := h.get("/p", "Range", "bytes=-5")
	wantAnswer(t, r, 206, "56789", "bytes 5-9/10")
	r = h.get("/p", "Range", "bytes=7-")
	wantAnswer(t, r, 206, "789", "bytes 7-9/10")
	wantStatus(t, r, "cachedhttp; hit")
	r = h.get("/p", "Range", "bytes=2-8")
	wantAnswer(t, r, 206, "2345678", "bytes 2-8/10")
	r = h.get("/p")
	wantAnswer(t, r, 200, rep, "")
	h.wantAsked("bytes=-5", `bytes=2-4|"v1"`, `bytes=0-1|"v1"`)
	h.get("/p")
	h.wantHits(3)
}

// RFC 9111 §3.4 / RFC 9110 §15.3.7.3: two parts with the same strong
// validator that touch (0-4, then 5-9) combine into the complete response.
// The second request is for bytes the first part does not hold at all, so
// it goes to the origin as it is.
func TestRFC9111_3_4_AdjacentPartsCombineIntoTheWhole(t *testing.T) {
	h, _, _ := newRangeHarness(t)
	h.get("/p", "Range", "bytes=0-4")
	r := h.get("/p", "Range", "bytes=5-9")
	wantAnswer(t, r, 206, "56789", "bytes 5-9/10")
	wantStatus(t, r, "cachedhttp; fwd=partial; fwd-status=206; stored")
	r = h.get("/p")
	wantAnswer(t, r, 200, rep, "")
	wantStatus(t, r, "cachedhttp; hit")
	h.wantAsked("bytes=0-4", "bytes=5-9")
}

// Parts that neither overlap nor touch are not kept together: the newer
// replaces the older.
func TestRFC9111_3_4_DisjointPartsKeepTheNewer(t *testing.T) {
	h, _, _ := newRangeHarness(t)
	h.get("/p", "Range", "bytes=0-2")
	h.get("/p", "Range", "bytes=7-9")
	if r := h.get("/p", "Range", "bytes=8-9"); !r.info.FromCache {
		t.Fatal("the newer part is not served")
	}
	r := h.get("/p", "Range", "bytes=0-1")
	wantAnswer(t, r, 206, "01", "bytes 0-1/10")
	wantStatus(t, r, "cachedhttp; fwd=partial")
	h.wantAsked("bytes=0-2", "bytes=7-9", "bytes=0-1")
}

// RFC 9110 §13.1.5: the part's validator goes in If-Range, so an origin
// whose representation changed sends the whole new one (200): that is the
// answer, and it replaces the part.
func TestRFC9110_13_1_5_ChangedRepresentationAnswersWhole(t *testing.T) {
	h, etag, body := newRangeHarness(t)
	h.get("/p", "Range", "bytes=0-4")
	etag.Store(`"v2"`)
	body.Store("abcdefghij")
	r := h.get("/p")
	wantAnswer(t, r, 200, "abcdefghij", "")
	wantStatus(t, r, "cachedhttp; fwd=partial; fwd-status=200; stored")
	r = h.get("/p", "Range", "bytes=0-1")
	wantAnswer(t, r, 206, "ab", "bytes 0-1/10")
	wantStatus(t, r, "cachedhttp; hit")
	h.wantAsked("bytes=0-4", `bytes=5-|"v1"`)
}

// RFC 9111 §3.4 combines only parts that "share the same strong
// validator": an origin that ignores If-Range and sends the run of another
// representation is not combined with the stored part; the caller's own
// request is sent instead.
func TestRFC9111_3_4_DifferentValidatorsAreNotCombined(t *testing.T) {
	var version atomic.Int64
	version.Store(1)
	h := newHarness(t, func(w http.ResponseWriter, r *http.Request) {
		v := version.Load()
		body := rep
		if v == 2 {
			body = "abcdefghij"
		}
		w.Header().Set("Cache-Control", "max-age=60")
		w.Header().Set("ETag", `"v`+strconv.Itoa(int(v))+`"`)
		r.Header.Del("If-Range") // this origin ignores If-Range
		http.ServeContent(w, r, "", time.Time{}, strings.NewReader(body))
	})
	h.get("/p", "Range", "bytes=0-4")
	version.Store(2)
	r := h.get("/p")
	wantAnswer(t, r, 200, "abcdefghij", "")
	wantStatus(t, r, "cachedhttp; fwd=partial; fwd-status=200; stored")
	h.wantAsked("bytes=0-4", `bytes=5-|"v1"`, "")
	if r := h.get("/p"); r.body != "abcdefghij" || !r.info.FromCache {
		t.Fatalf("%q from cache %v", r.body, r.info.FromCache)
	}
}

// A stored part answers only Range GETs: a HEAD, or a request with a
// precondition about the whole representation, goes to the origin (no 304
// from a part), as does a request for several ranges.
func TestRFC9111_3_3_PartialDoesNotAnswerWholeQuestions(t *testing.T) {
	h, _, _ := newRangeHarness(t)
	h.get("/p", "Range", "bytes=0-4")
	// only-if-cached (RFC 9111 §5.2.1.7): the part cannot answer, 504.
	r := h.get("/p", "Range", "bytes=0-9", "Cache-Control", "only-if-cached")
	if r.resp.StatusCode != http.StatusGatewayTimeout {
		t.Fatalf("only-if-cached: %d", r.resp.StatusCode)
	}
	wantStatus(t, r, "cachedhttp; fwd=partial")
	req, _ := http.NewRequest(http.MethodHead, h.o.URL+"/p", nil)
	r = h.do(req)
	if r.resp.StatusCode != 200 || r.info.FromCache || r.resp.ContentLength != 10 {
		t.Fatalf("HEAD: %d from cache %v length %d", r.resp.StatusCode, r.info.FromCache, r.resp.ContentLength)
	}
	wantStatus(t, r, "cachedhttp; fwd=partial; fwd-status=200")
	r = h.get("/p", "If-None-Match", `"v1"`)
	if r.resp.StatusCode != 304 || r.info.FromCache {
		t.Fatalf("If-None-Match: %d from cache %v", r.resp.StatusCode, r.info.FromCache)
	}
	r = h.get("/p", "Range", "bytes=1-2", "If-None-Match", `"v0"`)
	wantAnswer(t, r, 206, "12", "bytes 1-2/10")
	if r.info.FromCache {
		t.Fatal("a conditional range request was answered from the part")
	}
	r = h.get("/p", "Range", "bytes=0-1,3-4")
	if r.info.FromCache || r.resp.StatusCode != 206 {
		t.Fatalf("several ranges: %d from cache %v", r.resp.StatusCode, r.info.FromCache)
	}
	r = h.get("/p", "Range", "bytes=1-2", "If-Range", `"v0"`)
	wantAnswer(t, r, 200, rep, "")
	h.wantAsked("bytes=0-4", "", "", "bytes=1-2", "bytes=0-1,3-4", `bytes=1-2|"v0"`)
}

// A part whose complete length is unknown ("bytes 0-4/*", RFC 9110 §14.4)
// answers closed ranges within it and is completed by an open range whose
// answer gives the length.
func TestRFC9110_14_4_PartOfUnknownLength(t *testing.T) {
	h := newHarness(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=60")
		w.Header().Set("ETag", `"v1"`)
		if r.Header.Get("Range") == "bytes=0-4" {
			w.Header().Set("Content-Range", "bytes 0-4/*")
			w.WriteHeader(http.StatusPartialContent)
			w.Write([]byte(rep[:5]))
			return
		}
		http.ServeContent(w, r, "", time.Time{}, strings.NewReader(rep))
	})
	r := h.get("/p", "Range", "bytes=0-4")
	wantAnswer(t, r, 206, "01234", "bytes 0-4/*")
	r = h.get("/p", "Range", "bytes=1-3")
	wantAnswer(t, r, 206, "123", "bytes 1-3/*")
	wantStatus(t, r, "cachedhttp; hit")
	r = h.get("/p")
	wantAnswer(t, r, 200, rep, "")
	h.wantAsked("bytes=0-4", `bytes=5-|"v1"`)
	h.get("/p")
	h.wantHits(2)
}

// A stale part is revalidated like any stored response (RFC 9111 §4.3):
// a 304 freshens it and the range within it is served.
func TestRFC9111_4_3_StalePartRevalidated(t *testing.T) {
	h, _, _ := newRangeHarness(t)
	h.get("/p", "Range", "bytes=0-4")
	h.clk.Advance(2 * time.Minute)
	r := h.get("/p", "Range", "bytes=1-3")
	wantAnswer(t, r, 206, "123", "bytes 1-3/10")
	wantStatus(t, r, "cachedhttp; fwd=stale; fwd-status=304; stored")
	r = h.get("/p", "Range", "bytes=0-2")
	wantAnswer(t, r, 206, "012", "bytes 0-2/10")
	wantStatus(t, r, "cachedhttp; hit")
	h.wantHits(2)
}

// RFC 9111 §3.4 requires a strong validator to combine: a 206 with only a
// weak ETag is not stored.
func TestRFC9111_3_4_WeakPartNotStored(t *testing.T) {
	h := newHarness(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=60")
		w.Header().Set("ETag", `W/"v1"`)
		http.ServeContent(w, r, "", time.Time{}, strings.NewReader(rep))
	})
	r := h.get("/p", "Range", "bytes=0-4")
	wantStatus(t, r, "cachedhttp; fwd=uri-miss; fwd-status=206; detail=partial-content")
	h.get("/p", "Range", "bytes=0-4")
	h.wantHits(2)
}

// Concurrent Range requests for one URL do not coalesce: one caller's part
// would not answer another's range. The origin holds the first request
// until the second arrives (or a generous deadline passes, after which a
// coalesced follower would get the leader's part).
func TestRangeRequestsDoNotCoalesce(t *testing.T) {
	var n atomic.Int64
	both := make(chan struct{})
	h := newHarness(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 2 {
			close(both)
		} else {
			select {
			case <-both:
			case <-time.After(5 * time.Second):
			}
		}
		w.Header().Set("Cache-Control", "max-age=60")
		w.Header().Set("ETag", `"v1"`)
		http.ServeContent(w, r, "", time.Time{}, strings.NewReader(rep))
	})
	done := make(chan string, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodGet, h.o.URL+"/p", nil)
		req.Header.Set("Range", "bytes=0-1")
		resp, err := h.c.Do(req)
		if err != nil {
			done <- err.Error()
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			done <- err.Error()
			return
		}
		done <- string(b)
	}()
	b := h.get("/p", "Range", "bytes=8-9")
	if a := <-done; a != "01" || b.body != "89" {
		t.Fatalf("%q %q", a, b.body)
	}
	h.wantHits(2)
}

// The body of an answer joined from stored and new bytes is read in order;
// closing it before the end stores nothing.
func TestJoinedAnswerAbandonedIsNotStored(t *testing.T) {
	h, _, _ := newRangeHarness(t)
	h.get("/q", "Range", "bytes=0-4")
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, h.o.URL+"/q", nil)
	resp, err := h.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 3)
	if _, err := resp.Body.Read(buf); err != nil || !bytes.Equal(buf, []byte("012")) {
		t.Fatalf("%q %v", buf, err)
	}
	resp.Body.Close()
	if r := h.get("/q"); r.info.FromCache {
		t.Fatal("an abandoned joined answer was stored whole")
	}
}
