package serializertest

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"github.com/cachedhttp/cachedhttp/models"
)

// Generator makes random responses from a seed: the same seed gives the
// same responses.
type Generator struct{ r *rand.Rand }

// NewGenerator returns a generator seeded with seed.
func NewGenerator(seed uint64) *Generator {
	return &Generator{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

var (
	headerNames = []string{"Content-Type", "Cache-Control", "Etag", "Set-Cookie", "Vary", "Link",
		"X-Custom-Header", "Content-Encoding", "Date", "Age", "x-lower-case", "Weird_Name"}
	headerValues = []string{"text/html; charset=utf-8", "max-age=60, public", `"abc"`, "a=b; Path=/",
		"Accept-Encoding", "", " spaced ", "ünïcødé", "gzip", "image/png", strings.Repeat("v", 300)}
	words = []string{"the", "cache", "response", "<div class=\"x\">", "</div>", "{\"k\": 1}", "\n", "héllo"}
)

func (g *Generator) header(nilChance, emptyChance int) http.Header {
	switch n := g.r.IntN(100); {
	case n < nilChance:
		return nil
	case n < nilChance+emptyChance:
		return http.Header{}
	}
	h := http.Header{}
	for range g.r.IntN(8) + 1 {
		name := headerNames[g.r.IntN(len(headerNames))]
		switch g.r.IntN(10) {
		case 0:
			h[name] = nil
		case 1:
			h[name] = []string{}
		default:
			for range g.r.IntN(4) + 1 { // repeated values, order matters
				h[name] = append(h[name], headerValues[g.r.IntN(len(headerValues))])
			}
		}
	}
	return h
}

func (g *Generator) time() time.Time {
	switch g.r.IntN(6) {
	case 0:
		return time.Time{}
	case 1: // before 1970
		return time.Unix(-g.r.Int64N(2e9), g.r.Int64N(1e9))
	case 2: // far future
		return time.Date(2900+g.r.IntN(90), 1, 1, 0, 0, 0, g.r.IntN(1e9), time.UTC)
	case 3:
		return time.Unix(1.7e9+g.r.Int64N(1e8), 0).In(time.FixedZone("X", 3600*5))
	}
	return time.Unix(1.7e9+g.r.Int64N(1e8), g.r.Int64N(1e9))
}

func (g *Generator) body() []byte {
	switch g.r.IntN(30) {
	case 0:
		return nil
	case 1:
		return []byte{}
	case 2, 3, 4, 5, 6, 7, 8, 9:
		return g.Binary(g.r.IntN(3000))
	case 10: // 1 MiB, text or binary
		if g.r.IntN(2) == 0 {
			return g.Text(1 << 20)
		}
		return g.Binary(1 << 20)
	}
	return g.Text(g.r.IntN(5000))
}

// Binary returns n random bytes.
func (g *Generator) Binary(n int) []byte {
	var seed [32]byte
	for i := range seed {
		seed[i] = byte(g.r.Uint32())
	}
	b := make([]byte, n)
	_, _ = rand.NewChaCha8(seed).Read(b)
	return b
}

// Text returns n bytes of random words and markup, valid UTF-8 except
// perhaps for a character cut at the end.
func (g *Generator) Text(n int) []byte {
	var b bytes.Buffer
	for b.Len() < n {
		b.WriteString(words[g.r.IntN(len(words))])
		b.WriteByte(' ')
	}
	return b.Bytes()[:n]
}

// Response returns a random response or, one time in ten, a Vary index.
func (g *Generator) Response() *models.Response {
	if g.r.IntN(10) == 0 {
		idx := []string{}
		for range g.r.IntN(3) {
			idx = append(idx, headerNames[g.r.IntN(len(headerNames))])
		}
		return &models.Response{VaryIndex: idx, Created: g.time(), Expires: g.time()}
	}
	statuses := []int{200, 203, 204, 206, 301, 304, 404, 410, 500, 100 + g.r.IntN(500)}
	protos := []struct {
		p    string
		a, b int
	}{{"HTTP/1.1", 1, 1}, {"HTTP/2.0", 2, 0}, {"HTTP/1.0", 1, 0}, {"", 0, 0}}
	p := protos[g.r.IntN(len(protos))]
	r := &models.Response{
		StatusCode: statuses[g.r.IntN(len(statuses))],
		Proto:      p.p, ProtoMajor: p.a, ProtoMinor: p.b,
		Header:  g.header(10, 10),
		Trailer: g.header(70, 10),
		Body:    g.body(),
		Request: models.Request{
			Method: []string{"GET", "HEAD", "POST", "QUERY"}[g.r.IntN(4)],
			URL:    fmt.Sprintf("https://example.com/p/%d?q=%d&x=%%20ü", g.r.IntN(1000), g.r.IntN(1000)),
			Header: g.header(30, 10),
		},
		RequestTime:  g.time(),
		ResponseTime: g.time(),
		Created:      g.time(),
		Expires:      g.time(),
		StaleUntil:   g.time(),
		Revalidate:   g.r.IntN(2) == 0,
	}
	return r
}
