package keys

import (
	"fmt"
	"maps"
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
	if _, ok := keyMemo.Get(keyMemo.Sum(string(b)), string(b)); ok {
		t.Fatal("kept at first sight")
	}
	k1 := c.Create(req, nil) // the second
	if _, ok := keyMemo.Get(keyMemo.Sum(string(b)), string(b)); !ok {
		t.Fatal("not kept at the second sight")
	}
	if k2 := c.Create(req, nil); k2 != k1 {
		t.Fatalf("third Create = %s, second %s", k2, k1)
	}
	got, ok := keyMemo.Get(keyMemo.Sum(string(b)), string(b))
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
	keyMemo.Entries(func(in, _ string) {
		if strings.Contains(in, "secret") || strings.Contains(in, "body") {
			t.Fatalf("the memo holds %q", in)
		}
	})
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

// TestKeyMemoNewURLsCostNothing: a stream of URLs each asked once (misses,
// a crawl) adds no entry to the memo (so no allocation) and evicts none.
func TestKeyMemoNewURLsCostNothing(t *testing.T) {
	c := &Config{}
	hot, _ := http.NewRequest(http.MethodGet, "http://memo.example/hot", nil)
	want := c.Create(hot, nil)
	c.Create(hot, nil) // kept
	before := map[string]string{}
	keyMemo.Entries(func(in, val string) { before[in] = val })
	for i := range 2000 {
		u, _ := url.Parse(fmt.Sprintf("http://memo.example/cold/%d", i))
		c.Create(&http.Request{Method: http.MethodGet, URL: u, Header: http.Header{}}, nil)
	}
	after := map[string]string{}
	keyMemo.Entries(func(in, val string) { after[in] = val })
	if !maps.Equal(before, after) {
		t.Fatalf("URLs asked once changed the memo: %d entries before, %d after", len(before), len(after))
	}
	b := memoInput(t, c, hot)
	if k, ok := keyMemo.Get(keyMemo.Sum(string(b)), string(b)); !ok || k != want {
		t.Errorf("after a stream of new URLs the hot key is %q (%v), want %s", k, ok, want)
	}
}
