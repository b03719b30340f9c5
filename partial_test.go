package cachedhttp

import (
	"net/http"
	"strings"
	"testing"
)

// RFC 9111 §3.4 / RFC 9110 §14: a Range request is answered from a stored
// complete response with 206 and the right Content-Range, without going to
// the origin.
func TestRFC9110_14_RangeFromStoredResponse(t *testing.T) {
	h := newHarness(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=60")
		w.Header().Set("ETag", `"v1"`)
		w.Write([]byte("0123456789"))
	})
	h.get("/r")
	cases := []struct {
		name, rng, ifRange string
		status             int
		body, contentRange string
	}{
		{"closed", "bytes=2-4", "", 206, "234", "bytes 2-4/10"},
		{"open-ended", "bytes=5-", "", 206, "56789", "bytes 5-9/10"},
		{"suffix", "bytes=-3", "", 206, "789", "bytes 7-9/10"},
		{"past the end is clipped", "bytes=8-100", "", 206, "89", "bytes 8-9/10"},
		{"unsatisfiable", "bytes=10-", "", 416, "", "bytes */10"},
		{"several ranges are answered whole", "bytes=0-1,4-5", "", 200, "0123456789", ""},
		{"another unit is ignored", "items=0-1", "", 200, "0123456789", ""},
		{"If-Range matching", "bytes=0-0", `"v1"`, 206, "0", "bytes 0-0/10"},
		{"If-Range not matching is answered whole", "bytes=0-0", `"v0"`, 200, "0123456789", ""},
		{"If-Range weak never matches", "bytes=0-0", `W/"v1"`, 200, "0123456789", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			hdr := []string{"Range", c.rng}
			if c.ifRange != "" {
				hdr = append(hdr, "If-Range", c.ifRange)
			}
			r := h.get("/r", hdr...)
			if r.resp.StatusCode != c.status || r.body != c.body || r.resp.Header.Get("Content-Range") != c.contentRange {
				t.Fatalf("status %d body %q Content-Range %q; want %d %q %q", r.resp.StatusCode, r.body, r.resp.Header.Get("Content-Range"), c.status, c.body, c.contentRange)
			}
			if !r.info.FromCache {
				t.Fatal("not answered from the cache")
			}
		})
	}
	h.wantHits(1)
}

// A HEAD response is stored (RFC 9111 §3: HEAD is a cacheable method), so
// HEAD after HEAD does not reach the origin, and Cache-Status's stored is
// true to its word.
func TestHeadResponseIsStored(t *testing.T) {
	h := newHarness(t, counter("max-age=60"))
	req, _ := http.NewRequest(http.MethodHead, h.o.URL+"/h", nil)
	r := h.do(req)
	if !strings.Contains(r.resp.Header.Get("Cache-Status"), "stored") {
		t.Fatalf("Cache-Status %q", r.resp.Header.Get("Cache-Status"))
	}
	req, _ = http.NewRequest(http.MethodHead, h.o.URL+"/h", nil)
	if r := h.do(req); !r.info.FromCache {
		t.Fatal("HEAD after HEAD went to the origin")
	}
	if st := h.tr.Stats(); st.Truncated != 0 {
		t.Fatalf("a HEAD response counted as truncated: %+v", st)
	}
	h.wantHits(1)
}

// RFC 9110 §9.3.3: a POST response with explicit freshness and a
// Content-Location equal to its target URI satisfies a later GET.
func TestRFC9110_9_3_3_PostResponseReusedForGet(t *testing.T) {
	h := newHarness(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			w.Header().Set("Cache-Control", "max-age=60")
			w.Header().Set("Content-Location", r.URL.Path)
			w.Write([]byte("from POST"))
			return
		}
		w.Write([]byte("from GET"))
	})
	req, _ := http.NewRequest(http.MethodPost, h.o.URL+"/p", strings.NewReader("x"))
	h.do(req)
	if r := h.get("/p"); r.body != "from POST" || !r.info.FromCache {
		t.Fatalf("GET after POST: %q from cache %v", r.body, r.info.FromCache)
	}
	h.wantHits(1)
	// Without Content-Location it is not reused.
	req, _ = http.NewRequest(http.MethodPost, h.o.URL+"/q", strings.NewReader("x"))
	h.do(req)
}

func FuzzParseRange(f *testing.F) {
	for _, s := range []string{"bytes=0-1", "bytes=5-", "bytes=-3", "bytes=1-0", "bytes=0-1,2-3", "x", "bytes=-", "bytes= 1 - 2 "} {
		f.Add(s, int64(10))
	}
	f.Fuzz(func(t *testing.T, spec string, size int64) {
		if size < 0 || size > 1<<40 {
			return
		}
		r, ok, sat := parseRange(spec, size)
		if !ok || !sat {
			return
		}
		if r.start < 0 || r.end > size || r.start >= r.end {
			t.Fatalf("parseRange(%q, %d) = %+v", spec, size, r)
		}
	})
}
