package keys

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestKeyMemoKeepsOnSecondSight: a request's key is kept the second time it
// is computed and read from the memo after that, equal to the key computed.
// A request with credentials or a body is never kept.
func TestKeyMemoKeepsOnSecondSight(t *testing.T) {
	c := &Config{}
	req, _ := http.NewRequest(http.MethodGet, "http://memo.example/second-sight?a=1", nil)
	b := memoInput(t, c, req) // the first sight
	if _, ok := memo.get(memo.sum(b), b); ok {
		t.Fatal("kept at first sight")
	}
	k1 := c.Create(req, nil) // the second
	if _, ok := memo.get(memo.sum(b), b); !ok {
		t.Fatal("not kept at the second sight")
	}
	if k2 := c.Create(req, nil); k2 != k1 {
		t.Fatalf("third Create = %s, second %s", k2, k1)
	}
	got, ok := memo.get(memo.sum(b), b)
	if !ok || got != k1 {
		t.Fatalf("after the second sight the memo holds %q (%v), want %s", got, ok, k1)
	}

	auth := req.Clone(req.Context())
	auth.Header.Set("Authorization", "Bearer secret")
	for range 3 {
		c.Create(auth, nil)
	}
	if b := memoInput(t, c, auth); len(b) != 0 {
		t.Fatalf("a request with credentials offered to the memo: %q", b)
	}
	post, _ := http.NewRequest(http.MethodPost, "http://memo.example/second-sight?a=1", nil)
	for range 3 {
		c.Create(post, []byte("body"))
	}
	for i := range memo.sets {
		for w := range memo.sets[i] {
			if e := memo.sets[i][w].Load(); e != nil && (strings.Contains(e.in, "secret") || strings.Contains(e.in, "body")) {
				t.Fatalf("the memo holds %q", e.in)
			}
		}
	}
}

// memoInput returns the input create offers the memo for req, or nil when
// it offers none.
func memoInput(t *testing.T, c *Config, req *http.Request) []byte {
	t.Helper()
	var got []byte
	testMemoInput = func(b []byte) { got = append([]byte(nil), b...) }
	defer func() { testMemoInput = nil }()
	c.create(req, nil)
	return got
}

// TestKeyMemoAnswersOnlyItsOwnInput: inputs that share a fingerprint (so a
// set and a seen slot) never answer for each other, and the two kept last
// in a set both stay.
func TestKeyMemoAnswersOnlyItsOwnInput(t *testing.T) {
	var m keyMemo
	const h = 12345
	a, b, c := []byte("input a"), []byte("input b"), []byte("input c")
	m.put(h, a, "key a") // noted
	m.put(h, a, "key a") // kept
	if k, ok := m.get(h, b); ok {
		t.Fatalf("input b answered by %q", k)
	}
	m.put(h, b, "key b") // h is seen: kept
	m.put(h, c, "key c")
	for _, tc := range []struct {
		in   []byte
		want string
		ok   bool
	}{{a, "", false}, {b, "key b", true}, {c, "key c", true}} {
		if k, ok := m.get(h, tc.in); k != tc.want || ok != tc.ok {
			t.Errorf("get(%q) = %q, %v; want %q, %v", tc.in, k, ok, tc.want, tc.ok)
		}
	}
}

// TestKeyMemoNewURLsCostNothing: a stream of URLs each asked once (misses,
// a crawl) adds no entry to the memo (so no allocation) and evicts none.
func TestKeyMemoNewURLsCostNothing(t *testing.T) {
	c := &Config{}
	hot, _ := http.NewRequest(http.MethodGet, "http://memo.example/hot", nil)
	want := c.Create(hot, nil)
	c.Create(hot, nil) // kept
	var before [len(memo.sets)][2]*memoEntry
	for i := range memo.sets {
		for w := range memo.sets[i] {
			before[i][w] = memo.sets[i][w].Load()
		}
	}
	for i := range 2000 {
		u, _ := url.Parse(fmt.Sprintf("http://memo.example/cold/%d", i))
		c.Create(&http.Request{Method: http.MethodGet, URL: u, Header: http.Header{}}, nil)
	}
	for i := range memo.sets {
		for w := range memo.sets[i] {
			if e := memo.sets[i][w].Load(); e != before[i][w] {
				t.Fatalf("set %d way %d changed to %q by URLs asked once", i, w, e.in)
			}
		}
	}
	b := memoInput(t, c, hot)
	if k, ok := memo.get(memo.sum(b), b); !ok || k != want {
		t.Errorf("after a stream of new URLs the hot key is %q (%v), want %s", k, ok, want)
	}
}
