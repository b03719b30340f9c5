package inspect_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cachedhttp/cachedhttp"
	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/inspect"
)

// storedKeys returns every key the cache holds.
func storedKeys(t *testing.T, f *fixture) map[string]bool {
	t.Helper()
	ks := map[string]bool{}
	for r := range f.tr.Records(context.Background()) {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
		ks[r.Key] = true
	}
	return ks
}

func TestEntriesPagesWithoutJavaScript(t *testing.T) {
	f := newFixture(t, 300, nil)
	b := f.browser(t)
	code, page := b.get("")
	if code != http.StatusOK {
		t.Fatalf("GET /debug/cache/: %d", code)
	}
	if !strings.Contains(page, "Showing <strong>1–50</strong> of <strong>300</strong> entries") {
		t.Errorf("first page does not say it shows 1–50 of 300")
	}
	if strings.Contains(page, "<script") {
		t.Error("the page has a script")
	}
	seen := map[string]bool{}
	for p := 1; p <= 6; p++ {
		_, page := b.get("?page=" + strconv.Itoa(p))
		ks := rows(page)
		if len(ks) != 50 {
			t.Fatalf("page %d lists %d entries, want 50", p, len(ks))
		}
		for _, k := range ks {
			if seen[k] {
				t.Fatalf("key %s on two pages", k)
			}
			seen[k] = true
		}
	}
	if len(seen) != 300 {
		t.Errorf("6 pages list %d distinct keys, want 300", len(seen))
	}
	if _, page := b.get("?page=99"); !strings.Contains(page, "Page 6 of 6") {
		t.Error("a page past the end does not show the last page")
	}
	// Newest first by default; the fixture stored entry 0 first.
	_, page = b.get("?sort=oldest")
	if ks := rows(page); len(ks) == 0 || ks[0] != f.key(t, f.urls[0]) {
		t.Error("sort=oldest does not list the first stored entry first")
	}
}

func TestFiltersFromTheQueryString(t *testing.T) {
	f := newFixture(t, 300, nil)
	b := f.browser(t)
	count := func(query string) int {
		t.Helper()
		n := 0
		for p := 1; ; p++ {
			code, page := b.get("?" + query + "&page=" + strconv.Itoa(p))
			if code != http.StatusOK {
				t.Fatalf("GET ?%s: %d", query, code)
			}
			n += len(rows(page))
			if !strings.Contains(page, `rel="next"`) {
				return n
			}
		}
	}
	want := func(pred func(i int) bool) int {
		n := 0
		for i := range f.urls {
			if pred(i) {
				n++
			}
		}
		return n
	}
	cases := []struct {
		name, query string
		want        int
	}{
		{"host", "host=cdn.example.test", want(func(i int) bool { return strings.Contains(f.urls[i], "//cdn.example.test/") })},
		{"status class", "status=4xx", want(func(i int) bool { _, _, s := fixtureURL(i); return s/100 == 4 })},
		{"one status", "status=500", want(func(i int) bool { _, _, s := fixtureURL(i); return s == 500 })},
		{"fresh", "state=fresh", f.want[inspect.Fresh]},
		{"stale", "state=stale", f.want[inspect.Stale]},
		{"expired", "state=expired", f.want[inspect.Expired]},
		{"search in URL, any case", "q=" + url.QueryEscape("/V1/ITEMS/"), want(func(i int) bool { return strings.Contains(f.urls[i], "/v1/items/") })},
		{"large bodies", "size=64k-1m", want(func(i int) bool { return strings.Contains(f.urls[i], "/assets/") })},
		{"combined", "host=www.example.test&state=expired", want(func(i int) bool {
			_, st, _ := fixtureURL(i)
			return strings.Contains(f.urls[i], "//www.example.test/") && st == inspect.Expired
		})},
		{"nothing", "q=no-such-thing", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.want == 0 && c.name != "nothing" {
				t.Fatal("the fixture has no entry for this case")
			}
			if got := count(c.query); got != c.want {
				t.Errorf("?%s lists %d entries, want %d", c.query, got, c.want)
			}
		})
	}
	// A key prefix finds its record.
	k := f.key(t, f.urls[7])
	_, page := b.get("?q=" + url.QueryEscape(k[:20]))
	if ks := rows(page); len(ks) != 1 || ks[0] != k {
		t.Errorf("searching a key prefix lists %v, want [%s]", ks, k)
	}
	// The form shows the filter it applied.
	_, page = b.get("?host=cdn.example.test&state=fresh")
	if !strings.Contains(page, `<option value="cdn.example.test" selected>`) || !strings.Contains(page, `<option value="fresh" selected>`) {
		t.Error("the filter form does not show the selected host and state")
	}
}

func TestRecordPage(t *testing.T) {
	f := newFixture(t, 40, &inspect.Options{PreviewBytes: 4096})
	b := f.browser(t)
	get := func(i int) string {
		t.Helper()
		code, page := b.get("record?key=" + url.QueryEscape(f.key(t, f.urls[i])))
		if code != http.StatusOK {
			t.Fatalf("record %s: %d", f.urls[i], code)
		}
		return page
	}
	t.Run("JSON text, headers, times, history", func(t *testing.T) {
		page := get(0) // /v1/items/0, fetched twice
		for _, want := range []string{
			"http://api.example.test/v1/items/0", "application/json", "max-age=3600",
			"ETag", `{&#34;id&#34;: 0, &#34;name&#34;: &#34;Item 0&#34;`, // the body, escaped
			"Fresh until", "Usable stale until", `<span class="state fresh">fresh</span>`,
			`<span class="outcome hit">hit</span>`, `<span class="outcome miss">miss</span>`, // Cache-Status history
			`name="csrf"`, "Delete this record",
		} {
			if !strings.Contains(page, want) {
				t.Errorf("record page lacks %q", want)
			}
		}
	})
	t.Run("binary as a hex dump", func(t *testing.T) {
		page := get(2) // /img/2
		if !strings.Contains(page, "00000000  89 50 4e 47 0d 0a 1a 0a") || !strings.Contains(page, "Binary: hex dump of the first 256 B") {
			t.Errorf("binary body is not a bounded hex dump:\n%s", excerpt(page, "<h2>Body"))
		}
	})
	t.Run("gzip decoded", func(t *testing.T) {
		page := get(6) // /bundle/6
		if !strings.Contains(page, "export const value0 = 0; // bundle 6, line 0") || !strings.Contains(page, "decoded from gzip") {
			t.Errorf("gzip body is not decoded:\n%s", excerpt(page, "<h2>Body"))
		}
		if strings.Contains(page, "line 999") {
			t.Error("the preview is not bounded")
		}
	})
	t.Run("large text bounded", func(t *testing.T) {
		page := get(8) // /assets/8, 200 KiB
		if !strings.Contains(page, "Text: the first 4.0 KiB of 180 KiB.") {
			t.Errorf("large text preview not bounded:\n%s", excerpt(page, "<h2>Body"))
		}
	})
	t.Run("expired", func(t *testing.T) {
		page := get(3) // /news/3
		if !strings.Contains(page, `<span class="state expired">expired</span>`) || !strings.Contains(page, "none (cannot be revalidated)") {
			t.Error("an expired record without validators is not shown as such")
		}
	})
	t.Run("unknown key", func(t *testing.T) {
		code, page := b.get("record?key=v1:nosuchkey")
		if code != http.StatusNotFound || !strings.Contains(page, "No record is stored under this key") {
			t.Errorf("unknown key: %d", code)
		}
	})
	t.Run("raw body is a sandboxed download", func(t *testing.T) {
		resp, err := http.Get(f.base + "body?key=" + url.QueryEscape(f.key(t, f.urls[3])))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.Header.Get("Content-Type") != "application/octet-stream" || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment") ||
			!strings.Contains(resp.Header.Get("Content-Security-Policy"), "sandbox") {
			t.Errorf("body download headers: %v", resp.Header)
		}
		if !strings.Contains(string(body), "<h1>News 3</h1>") {
			t.Errorf("body download: %q", body)
		}
	})
}

func excerpt(page, from string) string {
	if i := strings.Index(page, from); i >= 0 {
		page = page[i:]
	}
	return page[:min(len(page), 800)]
}

func TestSecurityHeaders(t *testing.T) {
	f := newFixture(t, 3, nil)
	for _, path := range []string{"", "overview", "record?key=" + url.QueryEscape(f.key(t, f.urls[0]))} {
		resp, err := http.Get(f.base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		h := resp.Header
		if h.Get("Cache-Control") != "no-store" || h.Get("X-Frame-Options") != "DENY" ||
			!strings.Contains(h.Get("Content-Security-Policy"), "default-src 'none'") ||
			!strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
			t.Errorf("GET %q: headers %v", path, h)
		}
		c := resp.Cookies()
		if len(c) != 1 || !c[0].HttpOnly || c[0].SameSite != http.SameSiteStrictMode {
			t.Errorf("GET %q: token cookie %v", path, c)
		}
	}
}

func TestDeleteNeedsTokenAndSameOrigin(t *testing.T) {
	f := newFixture(t, 20, nil)
	b := f.browser(t)
	_, page := b.get("")
	tok := token(t, page)
	victim := f.key(t, f.urls[5])
	form := func(csrf string) url.Values {
		return url.Values{"csrf": {csrf}, "key": {victim}}
	}
	foreign := f.browser(t) // another browser: its own cookie
	_, fpage := foreign.get("")
	foreignTok := token(t, fpage)
	if foreignTok == tok {
		t.Fatal("two browsers got the same token")
	}
	refused := []struct {
		name string
		b    *browser
		form url.Values
		hdr  map[string]string
	}{
		{"no token", b, url.Values{"key": {victim}}, nil},
		{"wrong token", b, form("AAAA" + tok[4:]), nil},
		{"another browser's token", b, form(foreignTok), nil},
		{"token without its cookie", &browser{t: t, client: &http.Client{}, base: f.base}, form(tok), nil},
		{"foreign Origin", b, form(tok), map[string]string{"Origin": "https://evil.example"}},
		{"cross-site Sec-Fetch-Site", b, form(tok), map[string]string{"Sec-Fetch-Site": "cross-site"}},
		{"same-site Sec-Fetch-Site", b, form(tok), map[string]string{"Sec-Fetch-Site": "same-site"}},
	}
	for _, c := range refused {
		t.Run(c.name, func(t *testing.T) {
			for _, path := range []string{"delete", "purge"} {
				fm := url.Values{}
				for k, v := range c.form {
					fm[k] = v
				}
				fm.Set("action", "all")
				fm.Set("confirm", "yes")
				code, _ := c.b.post(path, fm, c.hdr)
				if code != http.StatusForbidden {
					t.Errorf("POST %s: %d, want 403", path, code)
				}
			}
			if ks := storedKeys(t, f); !ks[victim] || len(ks) != 20 {
				t.Fatalf("a refused request deleted something: %d keys left", len(ks))
			}
		})
	}
	t.Run("GET never deletes", func(t *testing.T) {
		code, _ := b.get("delete?key=" + url.QueryEscape(victim) + "&csrf=" + tok)
		if code != http.StatusMethodNotAllowed {
			t.Errorf("GET delete: %d, want 405", code)
		}
		code, _ = b.get("purge?action=all&confirm=yes&csrf=" + tok)
		if code != http.StatusMethodNotAllowed {
			t.Errorf("GET purge: %d, want 405", code)
		}
		if ks := storedKeys(t, f); len(ks) != 20 {
			t.Fatalf("GET deleted something: %d keys left", len(ks))
		}
	})
	t.Run("same origin with the token", func(t *testing.T) {
		code, loc := b.post("delete", url.Values{"csrf": {tok}, "key": {victim}, "return": {"host=api.example.test&evil=https://x"}},
			map[string]string{"Origin": f.srv.URL, "Sec-Fetch-Site": "same-origin"})
		if code != http.StatusSeeOther {
			t.Fatalf("POST delete: %d, want 303", code)
		}
		if loc != "./?done=deleted&host=api.example.test&n=1" {
			t.Errorf("redirect to %q", loc)
		}
		ks := storedKeys(t, f)
		if ks[victim] || len(ks) != 19 {
			t.Errorf("after delete: victim stored %v, %d keys", ks[victim], len(ks))
		}
		if _, err := f.tr.Record(context.Background(), victim); !errors.Is(err, backends.ErrNotFound) {
			t.Errorf("Record after delete: %v", err)
		}
		_, page := b.get(strings.TrimPrefix(loc, "./"))
		if !strings.Contains(page, "Deleted 1 record.") {
			t.Error("the list does not report the deletion")
		}
	})
}

func TestPurge(t *testing.T) {
	f := newFixture(t, 60, nil)
	b := f.browser(t)
	_, page := b.get("")
	tok := token(t, page)
	post := func(form url.Values) (int, string) {
		form.Set("csrf", tok)
		return b.post("purge", form, nil)
	}

	code, loc := post(url.Values{"action": {"expired"}})
	if code != http.StatusSeeOther || loc != "./?done=expired&n="+strconv.Itoa(f.want[inspect.Expired]) {
		t.Fatalf("purge expired: %d %q, want %d expired", code, loc, f.want[inspect.Expired])
	}
	if n := len(storedKeys(t, f)); n != 60-f.want[inspect.Expired] {
		t.Errorf("after purging expired: %d keys", n)
	}

	code, _ = post(url.Values{"action": {"matching"}})
	if code != http.StatusBadRequest {
		t.Errorf("matching without a filter: %d, want 400", code)
	}
	code, loc = post(url.Values{"action": {"matching"}, "host": {"cdn.example.test"}, "return": {"host=cdn.example.test"}})
	if code != http.StatusSeeOther || !strings.Contains(loc, "done=deleted") {
		t.Fatalf("purge matching: %d %q", code, loc)
	}
	for r := range f.tr.Records(context.Background()) {
		if strings.Contains(r.Response.Request.URL, "//cdn.example.test/") {
			t.Errorf("%s survived purging its host", r.Response.Request.URL)
		}
	}
	left := len(storedKeys(t, f))
	if left == 0 {
		t.Fatal("purging one host deleted everything")
	}

	code, _ = post(url.Values{"action": {"all"}})
	if code != http.StatusBadRequest || len(storedKeys(t, f)) != left {
		t.Errorf("clear without confirmation: %d, %d keys left of %d", code, len(storedKeys(t, f)), left)
	}
	code, loc = post(url.Values{"action": {"all"}, "confirm": {"yes"}})
	if code != http.StatusSeeOther || loc != "./?done=cleared" {
		t.Errorf("clear: %d %q", code, loc)
	}
	if n := len(storedKeys(t, f)); n != 0 {
		t.Errorf("after clear: %d keys", n)
	}
	if _, page := b.get("?done=cleared"); !strings.Contains(page, "Cleared the cache.") || !strings.Contains(page, "No entries.") {
		t.Error("the empty list after clearing")
	}
}

func TestReadOnly(t *testing.T) {
	f := newFixture(t, 5, &inspect.Options{ReadOnly: true})
	b := f.browser(t)
	_, page := b.get("")
	if strings.Contains(page, `method="post"`) || strings.Contains(page, `name="csrf"`) {
		t.Error("a read-only page has forms")
	}
	code, _ := b.post("delete", url.Values{"key": {f.key(t, f.urls[0])}}, nil)
	if code != http.StatusForbidden || len(storedKeys(t, f)) != 5 {
		t.Errorf("read-only delete: %d", code)
	}
}

func TestOverviewCharts(t *testing.T) {
	f := newFixture(t, 20, nil)
	b := f.browser(t)
	_, page := b.get("overview")
	if !strings.Contains(page, "Collecting samples") {
		t.Error("with one sample the charts should say they are collecting")
	}
	// Three intervals: 2 hits of 2 lookups, then 1 of 2, then nothing.
	f.get(t, f.urls[0])
	f.get(t, f.urls[11])
	f.clock.Advance(5 * time.Second)
	b.get("overview")
	f.get(t, f.urls[0])
	f.get(t, f.urls[3]) // expired: a miss
	f.clock.Advance(5 * time.Second)
	half := f.clock.Now()
	b.get("overview")
	f.clock.Advance(5 * time.Second)
	_, page = b.get("overview")
	for _, want := range []string{
		`<svg class="chart"`, `<polyline class="line"`, `<rect class="bar"`,
		`<title>` + half.Format("15:04:05") + `: 50%</title>`,
		"api.example.test", // per-host totals
		"Hits</th><td class=\"num\">",
		`<span class="outcome hit">hit</span>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("overview lacks %q", want)
		}
	}
	if strings.Contains(page, "Collecting samples") {
		t.Error("charts with samples still say they are collecting")
	}
}

func TestMountedAtRootAndUnderSlashPrefix(t *testing.T) {
	f := newFixture(t, 3, nil)
	for _, mount := range []struct{ pattern, strip string }{{"/", ""}, {"/x/", "/x/"}} {
		mux := http.NewServeMux()
		if mount.strip == "" {
			mux.Handle(mount.pattern, f.h)
		} else {
			mux.Handle(mount.pattern, http.StripPrefix(mount.strip, f.h))
		}
		srv := httptest.NewServer(mux)
		resp, err := http.Get(srv.URL + mount.pattern)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		srv.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `href="static/style.css"`) {
			t.Errorf("mounted at %s: %d", mount.pattern, resp.StatusCode)
		}
	}
}

func TestNewNilCache(t *testing.T) {
	if _, err := inspect.New(nil, nil); !errors.Is(err, inspect.ErrNilCache) {
		t.Errorf("New(nil): %v", err)
	}
}

func TestVaryIndexAndVariants(t *testing.T) {
	f := newFixture(t, 2, nil)
	u := "http://www.example.test/i18n/7"
	for _, lang := range []string{"en", "fr"} {
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		req.Header.Set("Accept-Language", lang)
		resp, err := f.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	b := f.browser(t)
	_, page := b.get("?q=i18n")
	variants := rows(page)
	if len(variants) != 2 {
		t.Fatalf("the list shows %d variants, want 2", len(variants))
	}
	_, page = b.get("record?key=" + url.QueryEscape(variants[0]))
	if !strings.Contains(page, "Vary index of this variant") || !strings.Contains(page, "greeting 7 in ") {
		t.Error("a variant's page does not link its index")
	}
	index := f.key(t, u)
	_, page = b.get("record?key=" + url.QueryEscape(index))
	if !strings.Contains(page, "<h1>Vary index</h1>") || !strings.Contains(page, "<strong>accept-language</strong>") || !strings.Contains(page, "Variants (2)") {
		t.Fatalf("index page:\n%s", excerpt(page, "<main>"))
	}
	code, _ := b.post("delete", url.Values{"csrf": {token(t, page)}, "key": tokenKeys(page)}, nil)
	if code != http.StatusSeeOther {
		t.Fatalf("delete index: %d", code)
	}
	for _, k := range append(variants, index) {
		if _, err := f.tr.Record(context.Background(), k); !errors.Is(err, backends.ErrNotFound) {
			t.Errorf("%s after deleting the index and its variants: %v", k, err)
		}
	}
}

var hiddenKeyRE = regexp.MustCompile(`<input type="hidden" name="key" value="([^"]+)">`)

// tokenKeys returns the keys of a page's hidden delete fields.
func tokenKeys(page string) []string {
	var ks []string
	for _, m := range hiddenKeyRE.FindAllStringSubmatch(page, -1) {
		ks = append(ks, m[1])
	}
	return ks
}

func TestUnreadableRecord(t *testing.T) {
	f := newFixture(t, 3, nil)
	const bad = "v1:not-a-record"
	if err := f.tr.Backend().Set(context.Background(), bad, []byte("garbage"), 0); err != nil {
		t.Fatal(err)
	}
	b := f.browser(t)
	_, page := b.get("?state=unreadable")
	if ks := rows(page); len(ks) != 1 || ks[0] != bad {
		t.Fatalf("unreadable filter lists %v", ks)
	}
	_, page = b.get("record?key=" + url.QueryEscape(bad))
	if !strings.Contains(page, "invalid record") || !strings.Contains(page, "Delete this record") {
		t.Errorf("unreadable record page:\n%s", excerpt(page, "<main>"))
	}
	code, _ := b.post("delete", url.Values{"csrf": {token(t, page)}, "key": {bad}}, nil)
	if _, err := f.tr.Backend().Get(context.Background(), bad); code != http.StatusSeeOther || !errors.Is(err, backends.ErrNotFound) {
		t.Errorf("delete unreadable: %d, %v", code, err)
	}
}

func TestOverviewWithObserverOnly(t *testing.T) {
	f := newFixture(t, 4, nil)
	// A Recorder that saw requests as an Observer only, never through
	// Wrap: events without URL or key.
	rec := inspect.NewRecorder(0, f.clock.Now)
	h, err := inspect.New(f.tr, &inspect.Options{Recorder: rec, Now: f.clock.Now, SampleEvery: -time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	rec.ObserveRequest(cachedhttp.RequestEvent{Outcome: cachedhttp.OutcomeHit, Method: "GET", Status: 200, BytesFromCache: 1234, Duration: 300 * time.Microsecond})
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/overview", nil))
	page := w.Body.String()
	for _, want := range []string{"Observer events carry no URL or key", "1.2 KiB", "300µs", "hit 1 · stale 0"} {
		if !strings.Contains(page, want) {
			t.Errorf("observer-only overview lacks %q", want)
		}
	}
	// Without a Recorder the page says no history is kept.
	h2, _ := inspect.New(f.tr, &inspect.Options{SampleEvery: -time.Second})
	defer h2.Close()
	w = httptest.NewRecorder()
	h2.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/overview", nil))
	if !strings.Contains(w.Body.String(), "No Recorder: this inspector keeps no request history") {
		t.Error("overview without a Recorder does not say it keeps no history")
	}
	w = httptest.NewRecorder()
	h2.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/record?key="+url.QueryEscape(f.key(t, f.urls[0])), nil))
	if !strings.Contains(w.Body.String(), "No history is kept for this cache") {
		t.Error("record page without a Recorder does not say it keeps no history")
	}
}
