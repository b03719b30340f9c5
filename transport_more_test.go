package cachedhttp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/backends/memory"
	"github.com/cachedhttp/cachedhttp/models"
	"github.com/cachedhttp/cachedhttp/policy"
	"github.com/cachedhttp/cachedhttp/serializers"
)

func TestRFC9111_3_5_SharedMode(t *testing.T) {
	t.Run("private is not stored by a shared cache", func(t *testing.T) {
		h := newHarness(t, counter("private, max-age=60"), WithShared())
		h.get("/p")
		h.get("/p")
		h.wantHits(2)
	})
	t.Run("private is stored by a private cache", func(t *testing.T) {
		h := newHarness(t, counter("private, max-age=60"))
		h.get("/p")
		h.get("/p")
		h.wantHits(1)
	})
	t.Run("s-maxage applies only in shared mode", func(t *testing.T) {
		h := newHarness(t, counter("max-age=10, s-maxage=100"), WithShared())
		h.get("/s")
		h.clk.Advance(50 * time.Second)
		h.get("/s")
		h.wantHits(1)
		p := newHarness(t, counter("max-age=10, s-maxage=100"))
		p.get("/s")
		p.clk.Advance(50 * time.Second)
		p.get("/s")
		p.wantHits(2)
	})
	t.Run("Authorization responses need public in shared mode", func(t *testing.T) {
		h := newHarness(t, counter("max-age=60"), WithShared())
		h.get("/a", "Authorization", "Bearer x")
		h.get("/a", "Authorization", "Bearer x")
		h.wantHits(2)
		h2 := newHarness(t, counter("public, max-age=60"), WithShared())
		h2.get("/a", "Authorization", "Bearer x")
		h2.get("/a", "Authorization", "Bearer x")
		h2.wantHits(1)
	})
}

func TestMatchHeadersAndKeyFunc(t *testing.T) {
	t.Run("matched header values separate entries", func(t *testing.T) {
		h := newHarness(t, counter("max-age=60"), WithMatchHeaders("X-Tenant"))
		h.get("/m", "X-Tenant", "a")
		h.get("/m", "X-Tenant", "b")
		h.get("/m", "X-Tenant", "a")
		h.wantHits(2)
	})
	t.Run("without match headers the header is ignored", func(t *testing.T) {
		h := newHarness(t, counter("max-age=60"))
		h.get("/m", "X-Tenant", "a")
		h.get("/m", "X-Tenant", "b")
		h.wantHits(1)
	})
	t.Run("custom key function", func(t *testing.T) {
		h := newHarness(t, counter("max-age=60"), WithKeyFunc(func(r *http.Request, _ []byte) (string, error) {
			return "path:" + strings.ToLower(r.URL.Path), nil
		}))
		h.get("/K")
		r := h.get("/k")
		h.wantHits(1)
		if r.info.Key != "path:/k" {
			t.Fatalf("key %q", r.info.Key)
		}
	})
	t.Run("ignored parameters never change the key", func(t *testing.T) {
		h := newHarness(t, counter("max-age=60"), WithIgnoredParams("token"))
		h.get("/i?q=1&token=abc")
		h.get("/i?q=1")
		h.get("/i?token=zzz&q=1")
		h.wantHits(1)
		h.tr.Close()
		for k := range backends.Keys(context.Background(), h.be) {
			v, _ := h.be.Get(context.Background(), k)
			if strings.Contains(string(v), "abc") {
				t.Fatal("ignored parameter stored in clear")
			}
		}
	})
}

// RFC 5861 §3: the background refresh must not use the caller's context,
// which is typically cancelled as soon as the caller has its answer.
func TestStaleWhileRevalidateSurvivesCallerCancel(t *testing.T) {
	h := newHarness(t, counter("max-age=1, stale-while-revalidate=600"))
	h.get("/w")
	h.clk.Advance(10 * time.Second)
	ctx, cancel := context.WithCancel(context.Background())
	r := h.getCtx(ctx, "/w")
	cancel()
	if r.body != "response 1" {
		t.Fatalf("got %q", r.body)
	}
	// The refresh completes although the caller's context is cancelled, and
	// its response is stored. (A lookup that read the stale record just
	// before the refresh stored may start one more refresh: a later
	// response is as good.)
	waitFor(t, func() bool {
		r := h.get("/w")
		return r.body != "response 1" && r.info.FromCache && !r.info.Stale
	})
}

func TestRFC9111_4_3_5_HeadFreshensStoredGet(t *testing.T) {
	var v atomic.Int64
	v.Store(1)
	h := newHarness(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=10")
		w.Header().Set("ETag", `"e1"`)
		w.Header().Set("X-Version", fmt.Sprint(v.Load()))
		w.Header().Set("Content-Length", "4")
		if r.Method != http.MethodHead {
			io.WriteString(w, "body")
		}
	})
	h.get("/h")
	h.clk.Advance(20 * time.Second)
	v.Store(2)
	req, _ := http.NewRequest(http.MethodHead, h.o.URL+"/h", nil)
	h.do(req)
	h.wantHits(2)
	r := h.get("/h")
	h.wantHits(2)
	if r.body != "body" || r.resp.Header.Get("X-Version") != "2" {
		t.Fatalf("GET after HEAD: %q X-Version=%q", r.body, r.resp.Header.Get("X-Version"))
	}
}

// blockingBackend holds every Set until released.
type blockingBackend struct {
	*memory.Backend
	release chan struct{}
	sets    atomic.Int64
}

func (b *blockingBackend) Set(ctx context.Context, key string, v []byte, ttl time.Duration) error {
	<-b.release
	b.sets.Add(1)
	return b.Backend.Set(ctx, key, v, ttl)
}

func TestMissDoesNotWaitForTheBackend(t *testing.T) {
	be := &blockingBackend{Backend: memory.New(memory.Options{}), release: make(chan struct{})}
	h := newHarness(t, counter("max-age=60"), WithBackend(be))
	r := h.get("/slow-store") // returns although Set is blocked
	if r.body != "response 1" {
		t.Fatal(r.body)
	}
	// Read your writes while the write is still queued.
	if r := h.get("/slow-store"); !r.info.FromCache {
		t.Fatal("queued record not visible")
	}
	h.wantHits(1)
	close(be.release)
	h.tr.Close() // flushes the queue
	if be.sets.Load() != 1 {
		t.Fatalf("sets = %d after Close", be.sets.Load())
	}
}

func TestSessionMaintenance(t *testing.T) {
	clk := newClock()
	o := newOrigin(t, clk, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/old":
			w.Header().Set("Cache-Control", "max-age=1")
		case "/vary":
			w.Header().Set("Cache-Control", "max-age=600")
			w.Header().Set("Vary", "Accept")
		default:
			w.Header().Set("Cache-Control", "max-age=600")
		}
		io.WriteString(w, r.URL.Path)
	})
	dir := t.TempDir()
	sess, err := NewSession(WithSessionPath(filepath.Join(dir, "c.db")), WithClock(clk.Now), WithWriteQueue(0))
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	ctx := context.Background()
	for _, p := range []string{"/a", "/b", "/old", "/vary"} {
		resp, err := sess.Get(o.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	count := func() int {
		n := 0
		for r := range sess.Records(ctx) {
			if r.Err != nil {
				t.Fatal(r.Err)
			}
			n++
		}
		return n
	}
	if n := count(); n != 4 {
		t.Fatalf("records = %d, want 4", n)
	}
	if err := sess.DeleteURL(ctx, o.URL+"/a", nil); err != nil {
		t.Fatal(err)
	}
	if err := sess.DeleteURL(ctx, o.URL+"/vary", nil); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 2 {
		t.Fatalf("after DeleteURL records = %d, want 2", n)
	}
	clk.Advance(10 * time.Second)
	n, err := sess.DeleteExpired(ctx)
	if err != nil || n != 1 {
		t.Fatalf("DeleteExpired = %d, %v; want 1 (only /old is past use)", n, err)
	}
	if err := sess.Clear(ctx); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 0 {
		t.Fatalf("after Clear records = %d", n)
	}
	st := sess.Stats()
	if st.Stores != 4 || st.Misses != 4 {
		t.Fatalf("stats %+v", st)
	}
}

func TestSessionDefaultsToBboltInWorkingDir(t *testing.T) {
	t.Chdir(t.TempDir())
	sess, err := NewSession()
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat("http_cache.db")
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("cache file mode %v, want 0600", fi.Mode().Perm())
	}
	// A second session on the same file fails clearly instead of hanging.
	if _, err := NewSession(); err == nil || !strings.Contains(err.Error(), "http_cache.db") {
		t.Fatalf("second session on a locked file: %v", err)
	}
	sess.Close()
}

func TestSerializerChoice(t *testing.T) {
	js, err := serializers.NewPipeline(serializers.JSON)
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, counter("max-age=60"), WithSerializer(js), WithWriteQueue(0))
	r := h.get("/j")
	h.get("/j")
	h.wantHits(1)
	v, err := h.be.Get(context.Background(), r.info.Key)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(v), `"response 1"`) {
		t.Fatalf("JSON record does not show the body as text:\n%s", v)
	}
}

func TestBackendDSNChoosesSerializer(t *testing.T) {
	dir := t.TempDir()
	tr, err := NewTransport(WithBackendDSN("bbolt://" + dir + "/c.db?serializer=json"))
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	if got := tr.ser.(*serializers.Pipeline).String(); !strings.Contains(got, "json") {
		t.Fatalf("serializer %q, want json", got)
	}
	if _, err := NewTransport(WithBackendDSN("bbolt://" + dir + "/d.db?serializer=yaml")); err == nil || !strings.Contains(err.Error(), "serializer") {
		t.Fatalf("unknown serializer: %v", err)
	}
	if _, err := NewTransport(WithBackendDSN("nosuch://x")); !errors.Is(err, backends.ErrUnknownScheme) {
		t.Fatalf("unknown scheme: %v", err)
	}
}

func TestResponseRequestIsCallers(t *testing.T) {
	h := newHarness(t, counter("max-age=60"), WithMethods("GET", "POST"))
	for range 2 {
		req, _ := http.NewRequest(http.MethodPost, h.o.URL+"/p", strings.NewReader("b"))
		resp, err := h.tr.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.Request != req {
			t.Fatal("resp.Request is not the caller's request")
		}
	}
}

func TestDeleteExpiredSweepsBackendExpiry(t *testing.T) {
	sess, err := NewSession(WithSessionPath(filepath.Join(t.TempDir(), "c.db")))
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	ctx := context.Background()
	// A value the backend itself considers expired stays in a bbolt file
	// until swept; DeleteExpired must remove it.
	if err := sess.Cache.Backend().Set(ctx, "dead", []byte("x"), time.Millisecond); err != nil {
		t.Fatal(err)
	}
	deleted := 0
	waitFor(t, func() bool {
		n, err := sess.DeleteExpired(ctx)
		if err != nil {
			t.Fatal(err)
		}
		deleted += n
		return deleted == 1
	})
	var left int
	for range sess.Cache.Backend().Scan(ctx) {
		left++
	}
	if left != 0 {
		t.Fatalf("%d entries left after DeleteExpired", left)
	}
}

func TestKeyAndRecord(t *testing.T) {
	h := newHarness(t, etagHandler("max-age=60"), WithWriteQueue(0))
	r := h.get("/k")
	req, _ := http.NewRequest(http.MethodGet, h.o.URL+"/k", nil)
	key, err := h.tr.Key(req)
	if err != nil || key != r.info.Key {
		t.Fatalf("Key = %q, %v; want %q", key, err, r.info.Key)
	}
	rec, err := h.tr.Record(context.Background(), key)
	if err != nil || string(rec.Body) != "etag body" {
		t.Fatalf("Record: %v", err)
	}
	if _, err := h.tr.Record(context.Background(), "nope"); !errors.Is(err, backends.ErrNotFound) {
		t.Fatalf("missing record: %v", err)
	}
	// A revalidation that stores the record again counts as a store.
	before := h.tr.Stats().Stores
	h.getCtx(Refresh(context.Background()), "/k")
	if got := h.tr.Stats().Stores; got != before+1 {
		t.Fatalf("Stores after a 304 = %d, want %d", got, before+1)
	}
}

// Close while requests are in flight: pending bodies may finish after it,
// background refreshes may run; nothing panics or races (run with -race).
func TestCloseDuringTraffic(t *testing.T) {
	for range 5 {
		h := newHarness(t, counter("max-age=1, stale-while-revalidate=60"))
		h.get("/w")
		h.clk.Advance(5 * time.Second)
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				resp, err := h.c.Get(fmt.Sprintf("%s/w%d", h.o.URL, i%3))
				if err != nil {
					t.Error(err)
					return
				}
				io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp, err := h.c.Get(h.o.URL + "/w"); err == nil {
					resp.Body.Close()
				}
			}()
		}
		h.tr.Close()
		wg.Wait()
	}
}

// RFC 9111 §4.4 with write-behind: an invalidation is never overtaken by a
// write that was queued before it.
func TestInvalidationNotOvertakenByQueuedWrite(t *testing.T) {
	be := &blockingBackend{Backend: memory.New(memory.Options{}), release: make(chan struct{})}
	h := newHarness(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		w.Header().Set("Cache-Control", "max-age=600")
		fmt.Fprintf(w, "%s %d", r.URL.Path, time.Now().UnixNano())
	}, WithBackend(be))
	h.get("/x") // its write blocks in the backend
	h.get("/a") // queued behind it
	posted := make(chan struct{})
	go func() {
		defer close(posted)
		req, _ := http.NewRequest(http.MethodPost, h.o.URL+"/a", strings.NewReader("change"))
		resp, err := h.c.Do(req)
		if err != nil {
			t.Error(err)
			return
		}
		resp.Body.Close()
	}()
	waitFor(t, func() bool { return h.o.hits.Load() == 3 }) // the POST got its answer
	time.Sleep(20 * time.Millisecond)                       // and reached the invalidation
	close(be.release)
	<-posted
	h.tr.Close() // flush everything queued
	if _, err := be.Get(context.Background(), mustKey(t, h, "/a")); !errors.Is(err, backends.ErrNotFound) {
		t.Fatalf("invalidated /a was stored by a queued write: %v", err)
	}
}

func mustKey(t *testing.T, h *harness, path string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, h.o.URL+path, nil)
	k, err := h.tr.Key(req)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestServedAgeAndCacheStatusStayTheCallers: the Age and Cache-Status values
// of a served response are written into the response's own allocation
// (hitBody.text) and never written again: a caller that keeps them sees
// them unchanged after later hits, revalidations and 304s of the same
// record, and a member longer than that buffer is whole.
func TestServedAgeAndCacheStatusStayTheCallers(t *testing.T) {
	h := newHarness(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=100000")
		w.Header().Set("ETag", `"v1"`)
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		fmt.Fprint(w, "hello")
	})
	h.get("/a")
	type kept struct {
		hdr         http.Header
		age, status string
	}
	var all []kept
	for i := range 40 {
		h.clk.Advance(time.Duration(i*37) * time.Second)
		var r result
		if i%5 == 4 {
			r = h.get("/a", "Cache-Control", "no-cache") // a revalidation: 304 merged
		} else {
			r = h.get("/a")
		}
		all = append(all, kept{r.resp.Header, strings.Clone(r.resp.Header.Get("Age")), strings.Clone(r.resp.Header.Get("Cache-Status"))})
	}
	for i, k := range all {
		if k.hdr.Get("Age") != k.age || k.hdr.Get("Cache-Status") != k.status {
			t.Fatalf("response %d: Age %q, Cache-Status %q changed to %q, %q", i, k.age, k.status, k.hdr.Get("Age"), k.hdr.Get("Cache-Status"))
		}
		if !strings.HasPrefix(k.status, "cachedhttp;") {
			t.Fatalf("response %d: Cache-Status %q", i, k.status)
		}
	}
	if all[10].age == all[11].age {
		t.Fatalf("ages %q and %q: the clock did not move them", all[10].age, all[11].age)
	}

	// A member longer than hitBody.text: appended past it, still whole.
	long := policy.Reason(strings.Repeat("x", 200))
	rec := &models.Response{StatusCode: 200, Header: http.Header{"Date": {h.clk.Now().Format(http.TimeFormat)}}, Body: []byte("b"), ResponseTime: h.clk.Now()}
	req, _ := http.NewRequest(http.MethodGet, "http://example.test/", nil)
	st := status{hit: true, ttl: time.Hour, detail: long}
	resp := h.tr.serveHeader(req, rec, nil, h.clk.Now(), st, "k", false, false)
	if got, want := resp.Header.Get("Cache-Status"), st.String(); got != want || !strings.HasSuffix(got, string(long)) {
		t.Fatalf("long Cache-Status %q, want %q", got, want)
	}
	if got := resp.Header.Get("Age"); got != "0" {
		t.Fatalf("Age %q", got)
	}
}
