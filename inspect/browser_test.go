package inspect_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cachedhttp/cachedhttp/backends"
)

// chromium returns the browser the test drives: $CACHEDHTTP_CHROMIUM
// (scripts/services.sh env exports it), else chromium on the PATH. Without
// one the test skips, or fails under CACHEDHTTP_SERVICES=1, where
// scripts/services.sh start has installed it.
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("CACHEDHTTP_CHROMIUM"); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("CACHEDHTTP_CHROMIUM=%s: %v", p, err)
		}
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CACHEDHTTP_SERVICES") == "1" {
		t.Fatal("CACHEDHTTP_SERVICES=1 but no Chromium: run scripts/services.sh start (it installs the chromium package) and eval \"$(bash scripts/services.sh env)\"")
	}
	t.Skip("no Chromium: set CACHEDHTTP_CHROMIUM or run scripts/services.sh start (apt-get install chromium)")
	return ""
}

// artifacts returns the directory the screenshots go to, kept after the
// test: $CACHEDHTTP_ARTIFACTS/inspect, else cachedhttp-inspect-artifacts in
// the system's temporary directory.
func artifacts(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(os.TempDir(), "cachedhttp-inspect-artifacts")
	if d := os.Getenv("CACHEDHTTP_ARTIFACTS"); d != "" {
		dir = filepath.Join(d, "inspect")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestInBrowser drives the inspector in headless Chromium, as a person
// would: list a cache of 300 entries, search and filter through the form,
// open a record, delete it through its form, look at the overview, and
// watch a cross-site form post be refused. It saves a PNG screenshot of
// each step.
func TestInBrowser(t *testing.T) {
	exe := chromium(t)
	dir := artifacts(t)
	t.Logf("screenshots in %s", dir)

	f := newFixture(t, 300, nil)
	traffic(t, f)

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.Flag("headless", "new"),
		chromedp.Flag("no-sandbox", true), // root in a container
		chromedp.DisableGPU,
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.WindowSize(1360, 900),
		chromedp.UserDataDir(t.TempDir()),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	bctx, cancel := chromedp.NewContext(actx, chromedp.WithErrorf(t.Logf))
	defer cancel()
	if err := chromedp.Do(bctx); err != nil { // start the browser, without a deadline
		t.Fatalf("start %s: %v", exe, err)
	}
	ctx, stop := context.WithTimeout(bctx, 2*time.Minute)
	defer stop()

	do := func(step string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return strings.Join(strings.Fields(s), " ")
	}
	count := func(sel string) int {
		t.Helper()
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](fmt.Sprintf("document.querySelectorAll(%q).length", sel)))
		if err != nil {
			t.Fatalf("count %s: %v", sel, err)
		}
		return n
	}
	navigate := func(step string, act chromedp.Action[chromedp.Void]) {
		t.Helper()
		resp, err := chromedp.RunResponse(ctx, act)
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		if resp.Status != http.StatusOK {
			t.Fatalf("%s: status %d", step, resp.Status)
		}
	}
	shot := func(name string) {
		t.Helper()
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("saved %s", p)
	}

	// 1. The list.
	navigate("open the inspector", chromedp.Navigate(f.base))
	if got := text(".tablebar .count"); !strings.Contains(got, "Showing 1–50 of 300 entries") {
		t.Errorf("list says %q", got)
	}
	if n := count("table.entries tbody tr"); n != 50 {
		t.Errorf("first page has %d rows, want 50", n)
	}
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int]("document.scripts.length")); err != nil || n != 0 {
		t.Errorf("the page has %d scripts (%v)", n, err)
	}
	shot("01-entries.png")

	// 2. Search and filter through the form: type, choose, submit.
	do("fill the filter form",
		chromedp.SendKeys(chromedp.CSS(`input[name="q"]`), "/v1/items/"),
		chromedp.SetValue(chromedp.CSS(`select[name="state"]`), "fresh"),
	)
	navigate("submit the filter", chromedp.Click(chromedp.CSS(`.filters button[type="submit"]`)))
	want := 0
	for _, u := range f.urls {
		if strings.Contains(u, "/v1/items/") {
			want++
		}
	}
	if got := text(".tablebar .count"); !strings.Contains(got, fmt.Sprintf("of %d matching entries", want)) {
		t.Errorf("filtered list says %q, want %d matching", got, want)
	}
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	if !strings.Contains(loc, "q=%2Fv1%2Fitems%2F") || !strings.Contains(loc, "state=fresh") {
		t.Errorf("the filter is not in the URL: %s", loc)
	}
	shot("02-filtered.png")

	// 3. Open the first record.
	navigate("open a record", chromedp.Click(chromedp.CSS(`table.entries td.url a`)))
	key := text(`.facts code.key`)
	title := text(`h1.record-title`)
	if !strings.Contains(title, "http://api.example.test/v1/items/") {
		t.Errorf("record title %q", title)
	}
	if got := text(`pre.body`); !strings.HasPrefix(got, `{"id":`) {
		t.Errorf("body preview %q", got)
	}
	shot("03-record.png")

	// 4. Delete it through its form (with the page's token).
	navigate("delete the record", chromedp.Click(chromedp.CSS(`form.delete-record button`)))
	if got := text(".flash"); got != "Deleted 1 record." {
		t.Errorf("after delete the page says %q", got)
	}
	if got := text(".stat .value"); got != "299" {
		t.Errorf("after delete the total is %q, want 299", got)
	}
	if _, err := f.tr.Record(context.Background(), key); !errors.Is(err, backends.ErrNotFound) {
		t.Errorf("record %s after delete: %v", key, err)
	}
	shot("04-deleted.png")

	// 5. A binary record and a Cache-Status history.
	navigate("open a binary record", chromedp.Navigate(f.base+"record?key="+url.QueryEscape(f.key(t, f.urls[2]))))
	if got := text(`pre.body`); !strings.HasPrefix(got, "00000000 89 50 4e 47") {
		t.Errorf("hex dump %q", got)
	}
	if n := count(`td .outcome`); n < 2 {
		t.Errorf("the history of a record fetched twice has %d rows", n)
	}
	shot("05-record-binary.png")

	// 6. The overview: charts and per-host totals.
	navigate("open the overview", chromedp.Click(chromedp.CSS(`.top nav a[href="overview"]`)))
	if n := count("svg.chart"); n != 2 {
		t.Errorf("overview has %d charts, want 2", n)
	}
	if n := count("svg.chart .bar"); n == 0 {
		t.Error("the bytes chart has no bars")
	}
	if n := count("table.hosts tbody tr"); n != 4 {
		t.Errorf("per-host table has %d rows, want 4", n)
	}
	shot("06-overview.png")

	// 7. A page of another site posts a delete form to the inspector:
	// the browser sends the cookie only to the same site, the page cannot
	// know the token, and Sec-Fetch-Site names the other site.
	victim := f.key(t, f.urls[12])
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(w, `<!doctype html><form id="f" method="post" action="%sdelete">
<input name="key" value="%s"><input name="csrf" value="guessed"></form>
<script>document.getElementById("f").submit()</script>`, f.base, victim)
	}))
	defer evil.Close()
	evilURL := strings.Replace(evil.URL, "127.0.0.1", "localhost", 1) // another site
	resp, err := chromedp.RunResponse(ctx, chromedp.Navigate(evilURL))
	if err != nil {
		t.Fatalf("open the other site: %v", err)
	}
	if resp.URL == evilURL || resp.URL == evilURL+"/" {
		// RunResponse reports the first navigation; wait for the form's.
		do("wait for the refusal", chromedp.WaitVisible(chromedp.CSS(".message h1")))
	}
	if got := text(".message h1"); got != "Refused" {
		t.Errorf("cross-site post: the page says %q", got)
	}
	if _, err := f.tr.Record(context.Background(), victim); err != nil {
		t.Errorf("a cross-site post deleted %s: %v", victim, err)
	}
	shot("07-cross-site-refused.png")
}

// traffic makes a minute of requests through the cache, sampled every 5 s
// by page views, so the overview has something to chart.
func traffic(t *testing.T, f *fixture) {
	t.Helper()
	for round := range 12 {
		for i := range 4 + round%5*3 {
			f.get(t, f.urls[(round*7+i*13)%len(f.urls)])
		}
		f.clock.Advance(5 * time.Second)
		resp, err := http.Get(f.base + "overview")
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}
