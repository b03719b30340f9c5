package keys_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/cachedhttp/cachedhttp/keys"
)

var benchCfg = &keys.Config{
	IgnoredParams: []string{"utm_source", "ts"},
	SecretParams:  []string{"api_key"},
	MatchHeaders:  []string{"Accept"},
	Secret:        []byte("bench secret"),
}

func benchGET(b *testing.B) *http.Request {
	req, err := http.NewRequest("GET", "https://api.example.com/v1/search?q=golang&page=2&per_page=50&sort=stars", nil)
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "cachedhttp-bench/1")
	return req
}

// jsonBody returns a JSON object of about 1 KiB with nested values.
func jsonBody() []byte {
	var sb strings.Builder
	sb.WriteString(`{"query":"golang http cache","filters":{"language":"go","stars":">100","archived":false},"items":[`)
	for i := 0; sb.Len() < 950; i++ {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, `{"id":%d,"name":"item-%d","score":%d.5,"tags":["a","b"]}`, i, i, i)
	}
	sb.WriteString(`],"ts":1700000000}`)
	return []byte(sb.String())
}

func BenchmarkCreateGET(b *testing.B) {
	req := benchGET(b)
	b.ReportAllocs()
	for b.Loop() {
		benchCfg.Create(req, nil)
	}
}

func BenchmarkCreateGETAuthorization(b *testing.B) {
	req := benchGET(b)
	req.Header.Set("Authorization", "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abc")
	b.ReportAllocs()
	for b.Loop() {
		benchCfg.Create(req, nil)
	}
}

func BenchmarkCreatePOSTJSON1KiB(b *testing.B) {
	body := jsonBody()
	req, err := http.NewRequest("POST", "https://api.example.com/v1/search", nil)
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		benchCfg.Create(req, body)
	}
}

func BenchmarkVariant(b *testing.B) {
	h := http.Header{"Accept-Encoding": {"gzip, br"}, "Accept-Language": {"en-GB,en;q=0.9"}}
	vary := []string{"accept-encoding", "accept-language"}
	b.ReportAllocs()
	for b.Loop() {
		keys.Variant(primary, vary, h)
	}
}

func BenchmarkNormalizeURL(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := benchCfg.NormalizeURL("https://API.example.com:443/v1/./search?q=golang&page=2&per_page=50&sort=stars&utm_source=x"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCreateNewURL keys a URL not asked before each time (a miss, a
// crawl): the key memo cannot answer, the whole key is computed.
func BenchmarkCreateNewURL(b *testing.B) {
	reqs := make([]*http.Request, 1<<16)
	for i := range reqs {
		reqs[i], _ = http.NewRequest("GET", fmt.Sprintf("http://127.0.0.1:34567/fresh/1KiB/u%d", i), nil)
	}
	c := &keys.Config{}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		c.Create(reqs[i%len(reqs)], nil)
		i++
	}
}
