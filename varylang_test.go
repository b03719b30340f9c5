package cachedhttp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cachedhttp/cachedhttp/backends/memory"
)

// langOrigin negotiates like a server with the languages it has: the first
// of the request's Accept-Language members it has and does not refuse
// (q=0; the order stands for the weights, good enough here), else English;
// with Vary on the fields vary names, and Content-Language unless noLang.
func langOrigin(noLang bool, vary string) http.HandlerFunc {
	have := []string{"de", "fr", "en"}
	return func(w http.ResponseWriter, r *http.Request) {
		lang := "en"
	pick:
		for _, m := range strings.Split(r.Header.Get("Accept-Language"), ",") {
			tag, params, _ := strings.Cut(strings.TrimSpace(m), ";")
			if strings.TrimSpace(params) == "q=0" {
				continue
			}
			for _, l := range have {
				if strings.EqualFold(tag, l) {
					lang = l
					break pick
				}
			}
		}
		w.Header().Set("Cache-Control", "max-age=60")
		w.Header().Set("Vary", vary)
		if !noLang {
			w.Header().Set("Content-Language", lang)
		}
		io.WriteString(w, "text in "+lang+" for "+r.Header.Get("X-Device"))
	}
}

// RFC 9111 §4.1: a stored response is used when "the selecting header
// fields nominated by the stored response ... match"; RFC 9110 §12.5.4
// makes Accept-Language the languages a request accepts. A request whose
// Accept-Language does not select a stored variant exactly is served the
// stored variant whose Content-Language it accepts by RFC 4647 §3.3.1
// basic filtering, preferring its highest weight.
func TestRFC9111_4_1_VariantSelectedByContentLanguage(t *testing.T) {
	h := newHarness(t, langOrigin(false, "Accept-Language"))
	r := h.get("/v", "Accept-Language", "de")
	if r.body != "text in de for " {
		t.Fatal(r.body)
	}
	h.clk.Advance(5 * time.Second)
	cases := []struct {
		name, accept, body string
		hit                bool
	}{
		{"RFC4647 3.3.1 a lower-weighted range matching the stored tag", "it, de;q=0.8", "text in de for ", true},
		{"RFC4647 3.3.1 the wildcard", "it, *;q=0.1", "text in de for ", true},
		{"RFC4647 3.3.1 de-DE does not match the tag de", "de-DE, en;q=0.5", "text in en for ", false},
		{"RFC9110 12.4.2 q=0 is not acceptable", "de;q=0, it", "text in en for ", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := h.get("/v", "Accept-Language", c.accept)
			if r.body != c.body || r.info.FromCache != c.hit {
				t.Fatalf("%q from cache %v; want %q %v", r.body, r.info.FromCache, c.body, c.hit)
			}
			if c.hit {
				// A normal hit (RFC 9211 §2.1), with the stored variant's Age.
				wantStatus(t, r, "cachedhttp; hit; ttl=55")
				if r.resp.Header.Get("Content-Language") != "de" || r.resp.Header.Get("Age") != "5" {
					t.Fatalf("header %v", r.resp.Header)
				}
			} else {
				wantStatus(t, r, "cachedhttp; fwd=vary-miss")
			}
		})
	}
	h.wantHits(3)
	// A request without Accept-Language states no preference: its own
	// variant is fetched rather than another chosen for it.
	if r := h.get("/v"); r.info.FromCache {
		t.Fatal("a request without Accept-Language was served a variant chosen by language")
	}
}

// The request's highest-weighted acceptable language wins among stored
// variants (RFC 9110 §12.4.2), and the newest listing does not matter.
func TestRFC9111_4_1_LanguageSelectionPrefersTheHighestWeight(t *testing.T) {
	h := newHarness(t, langOrigin(false, "Accept-Language"))
	h.get("/v", "Accept-Language", "de")
	h.get("/v", "Accept-Language", "fr")
	for _, c := range []struct{ accept, lang string }{
		{"fr, de;q=0.8, it", "fr"},
		{"it, de;q=0.9, fr;q=0.5", "de"},
		{"de-AT;q=0.2, fr-CA;q=0.3, de;q=0.4, fr;q=0.3", "de"},
	} {
		r := h.get("/v", "Accept-Language", c.accept)
		if !r.info.FromCache || r.body != "text in "+c.lang+" for " {
			t.Fatalf("%q: %q from cache %v", c.accept, r.body, r.info.FromCache)
		}
	}
	h.wantHits(2)
}

// RFC 9110 §8.5: content without Content-Language states no language, so
// it is never chosen on a request's language preference.
func TestRFC9111_4_1_NoContentLanguageIsNotSelected(t *testing.T) {
	h := newHarness(t, langOrigin(true, "Accept-Language"))
	h.get("/v", "Accept-Language", "de")
	if r := h.get("/v", "Accept-Language", "it, *;q=0.5"); r.info.FromCache {
		t.Fatal("a variant without Content-Language was selected")
	}
	h.wantHits(2)
}

// With Vary on Accept-Language and another field, a variant is selected by
// language only when the other field matches (RFC 9111 §4.1).
func TestRFC9111_4_1_LanguageSelectionNeedsTheOtherFieldsToMatch(t *testing.T) {
	h := newHarness(t, langOrigin(false, "Accept-Language, X-Device"))
	h.get("/v", "Accept-Language", "de", "X-Device", "phone")
	if r := h.get("/v", "Accept-Language", "it, de;q=0.5", "X-Device", "desk"); r.info.FromCache {
		t.Fatal("selected a variant for another device")
	}
	r := h.get("/v", "Accept-Language", "it, de;q=0.5", "X-Device", "phone")
	if !r.info.FromCache || r.body != "text in de for phone" {
		t.Fatalf("%q from cache %v", r.body, r.info.FromCache)
	}
	h.wantHits(2)
}

// A variant selected by language is used only while fresh: stale, the
// request fetches its own variant rather than revalidate another.
func TestRFC9111_4_1_StaleVariantNotSelectedByLanguage(t *testing.T) {
	h := newHarness(t, langOrigin(false, "Accept-Language"))
	h.get("/v", "Accept-Language", "de")
	h.clk.Advance(2 * time.Minute)
	r := h.get("/v", "Accept-Language", "it, de;q=0.5")
	if r.info.FromCache || r.body != "text in de for " {
		t.Fatalf("%q from cache %v", r.body, r.info.FromCache)
	}
	wantStatus(t, r, "cachedhttp; fwd=vary-miss; fwd-status=200; stored")
	// Now stored as its own variant.
	if r := h.get("/v", "Accept-Language", "it, de;q=0.5"); !r.info.FromCache {
		t.Fatal("own variant not stored")
	}
	h.wantHits(2)
}

// The list in the Vary index tolerates stale entries: a listed variant
// that is gone is a miss, not an error; and it stays bounded, newest first.
func TestVariantListStaleAndBounded(t *testing.T) {
	h := newHarness(t, func(w http.ResponseWriter, r *http.Request) {
		lang := r.Header.Get("Accept-Language")
		w.Header().Set("Cache-Control", "max-age=60")
		w.Header().Set("Vary", "Accept-Language")
		w.Header().Set("Content-Language", lang)
		io.WriteString(w, lang)
	})
	de := h.get("/v", "Accept-Language", "de")
	if err := h.tr.Delete(context.Background(), de.info.Key); err != nil {
		t.Fatal(err)
	}
	if r := h.get("/v", "Accept-Language", "it, de;q=0.5"); r.info.FromCache || r.resp.StatusCode != 200 {
		t.Fatalf("a gone variant: %d from cache %v", r.resp.StatusCode, r.info.FromCache)
	}
	for i := range maxListedVariants + 4 {
		h.get("/v", "Accept-Language", fmt.Sprintf("x-l%d", i))
	}
	primary, err := h.tr.Key(mustReq(t, h.o.URL+"/v"))
	if err != nil {
		t.Fatal(err)
	}
	idx, err := h.tr.Record(context.Background(), primary)
	if err != nil || !idx.IsVaryIndex() {
		t.Fatalf("index: %v %+v", err, idx)
	}
	list := idx.Header[variantsField]
	if len(list) != maxListedVariants || !strings.HasSuffix(list[0], fmt.Sprintf(" x-l%d", maxListedVariants+3)) {
		t.Fatalf("list of %d, first %q", len(list), list[0])
	}
	// The oldest listed are forgotten; the newest are selected.
	if r := h.get("/v", "Accept-Language", "zz, x-l19;q=0.5"); !r.info.FromCache || r.body != "x-l19" {
		t.Fatalf("%q from cache %v", r.body, r.info.FromCache)
	}
	if r := h.get("/v", "Accept-Language", "zz, x-l0;q=0.5"); r.info.FromCache {
		t.Fatal("a variant no longer listed was selected")
	}
}

func mustReq(t *testing.T, u string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// failVariantGets is a memory store whose Gets of the keys in fail return
// an error (a store in trouble), counting every Get of a key in watch.
type failVariantGets struct {
	*memory.Backend
	fail, watch map[string]bool
	watched     int
}

func (b *failVariantGets) Get(ctx context.Context, key string) ([]byte, error) {
	if b.watch[key] {
		b.watched++
	}
	if b.fail[key] {
		return nil, errors.New("store in trouble")
	}
	return b.Backend.Get(ctx, key)
}

// Never worse than no cache: when the read of the request's own variant
// fails, the breaker counts it and selection by language does not add a
// third read to the vary miss; the request goes to the origin.
func TestLanguageSelectionSkippedWhileTheStoreFails(t *testing.T) {
	be := &failVariantGets{Backend: memory.New(memory.Options{}), fail: map[string]bool{}, watch: map[string]bool{}}
	h := newHarnessWith(t, be, langOrigin(false, "Accept-Language"), WithWriteQueue(0))
	h.get("/v", "Accept-Language", "de")
	de, _ := http.NewRequest(http.MethodGet, h.o.URL+"/v", nil)
	de.Header.Set("Accept-Language", "de")
	it, _ := http.NewRequest(http.MethodGet, h.o.URL+"/v", nil)
	it.Header.Set("Accept-Language", "it, de;q=0.8")
	primary, err := h.tr.Key(it)
	if err != nil {
		t.Fatal(err)
	}
	own := h.tr.keys.Variant(primary, []string{"accept-language"}, it.Header)
	stored := h.tr.keys.Variant(primary, []string{"accept-language"}, de.Header)
	be.watch[stored] = true

	if r := h.do(it); !r.info.FromCache {
		t.Fatal("with a healthy store the de variant is not selected for it, de;q=0.8")
	}
	if be.watched != 1 {
		t.Fatalf("the de variant was read %d times, want 1", be.watched)
	}
	be.fail[own] = true
	if r := h.do(it); r.info.FromCache || r.body != "text in de for " {
		t.Fatalf("with the variant read failing: from cache %v, body %q; want the origin's", r.info.FromCache, r.body)
	}
	if be.watched != 1 {
		t.Fatalf("the de variant was read again (%d reads) while the store was failing", be.watched)
	}
}
