package serializers_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cachedhttp/cachedhttp/models"
	"github.com/cachedhttp/cachedhttp/serializers"
)

// Fixed test keys. They protect nothing: they make records reproducible.
var (
	signKeys = []serializers.Key{
		{ID: "sign-2026", Secret: bytes.Repeat([]byte{0x5a}, 32)},
		{ID: "sign-2025", Secret: bytes.Repeat([]byte{0xa5}, 40)},
	}
	encryptKeys = []serializers.Key{
		{ID: "enc-2026", Secret: bytes.Repeat([]byte{0x3c}, 32)},
		{ID: "enc-2025", Secret: bytes.Repeat([]byte{0xc3}, 32)},
	}
)

// counterReader is a deterministic nonce source: 0, 1, 2, ... as bytes.
type counterReader struct{ n byte }

func (c *counterReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = c.n
		c.n++
	}
	return len(p), nil
}

// pipelineSpec names one pipeline of the test matrix.
type pipelineSpec struct {
	codec    serializers.Codec
	compress string // "", "zstd", "gzip"
	encrypt  bool
	sign     bool
}

func (s pipelineSpec) String() string {
	parts := []string{s.codec.String()}
	if s.compress != "" {
		parts = append(parts, s.compress)
	}
	if s.encrypt {
		parts = append(parts, "aes-256-gcm")
	}
	if s.sign {
		parts = append(parts, "hmac-sha256")
	}
	return strings.Join(parts, "+")
}

// build returns the pipeline; deterministic nonces when det is true.
func (s pipelineSpec) build(t testing.TB, det bool) *serializers.Pipeline {
	t.Helper()
	var stages []serializers.Stage
	switch s.compress {
	case "zstd":
		stages = append(stages, serializers.Zstd(0))
	case "gzip":
		stages = append(stages, serializers.Gzip(0))
	}
	if s.encrypt {
		st := serializers.Encrypt(encryptKeys...)
		if det {
			serializers.SetNonceSource(st, &counterReader{})
		}
		stages = append(stages, st)
	}
	if s.sign {
		stages = append(stages, serializers.Sign(signKeys...))
	}
	p, err := serializers.NewPipeline(s.codec, stages...)
	if err != nil {
		t.Fatalf("NewPipeline(%s): %v", s, err)
	}
	return p
}

// allSpecs is every codec with every combination of compression,
// encryption and signing, in the order FromQuery builds them.
func allSpecs() []pipelineSpec {
	var specs []pipelineSpec
	for _, c := range []serializers.Codec{serializers.Msgpack, serializers.JSON, serializers.BSON} {
		for _, comp := range []string{"", "zstd", "gzip"} {
			for _, enc := range []bool{false, true} {
				for _, sign := range []bool{false, true} {
					specs = append(specs, pipelineSpec{codec: c, compress: comp, encrypt: enc, sign: sign})
				}
			}
		}
	}
	return specs
}

// diffResponses describes how got differs from want, or returns "". Times
// compare as instants; the zero time must stay zero; a nil and an empty
// body are the same; nil and empty header maps and value slices differ.
func diffResponses(want, got *models.Response) string {
	if got == nil {
		return "got nil response"
	}
	var d []string
	check := func(name string, ok bool, w, g any) {
		if !ok {
			d = append(d, fmt.Sprintf("%s: want %#v, got %#v", name, w, g))
		}
	}
	check("StatusCode", want.StatusCode == got.StatusCode, want.StatusCode, got.StatusCode)
	check("Proto", want.Proto == got.Proto, want.Proto, got.Proto)
	check("ProtoMajor", want.ProtoMajor == got.ProtoMajor, want.ProtoMajor, got.ProtoMajor)
	check("ProtoMinor", want.ProtoMinor == got.ProtoMinor, want.ProtoMinor, got.ProtoMinor)
	check("Header", reflect.DeepEqual(want.Header, got.Header), want.Header, got.Header)
	check("Trailer", reflect.DeepEqual(want.Trailer, got.Trailer), want.Trailer, got.Trailer)
	if !bytes.Equal(want.Body, got.Body) {
		d = append(d, fmt.Sprintf("Body: want %d bytes, got %d bytes (differ)", len(want.Body), len(got.Body)))
	}
	check("Request.Method", want.Request.Method == got.Request.Method, want.Request.Method, got.Request.Method)
	check("Request.URL", want.Request.URL == got.Request.URL, want.Request.URL, got.Request.URL)
	check("Request.Header", reflect.DeepEqual(want.Request.Header, got.Request.Header), want.Request.Header, got.Request.Header)
	for _, tc := range []struct {
		name string
		w, g time.Time
	}{
		{"RequestTime", want.RequestTime, got.RequestTime},
		{"ResponseTime", want.ResponseTime, got.ResponseTime},
		{"Created", want.Created, got.Created},
		{"Expires", want.Expires, got.Expires},
		{"StaleUntil", want.StaleUntil, got.StaleUntil},
	} {
		check(tc.name, tc.w.Equal(tc.g) && tc.w.IsZero() == tc.g.IsZero(), tc.w.String(), tc.g.String())
	}
	check("Revalidate", want.Revalidate == got.Revalidate, want.Revalidate, got.Revalidate)
	check("VaryIndex", reflect.DeepEqual(want.VaryIndex, got.VaryIndex), want.VaryIndex, got.VaryIndex)
	return strings.Join(d, "\n")
}

// generator makes random responses from a seed.
type generator struct{ r *rand.Rand }

func newGenerator(seed uint64) *generator {
	return &generator{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

var (
	headerNames = []string{"Content-Type", "Cache-Control", "Etag", "Set-Cookie", "Vary", "Link",
		"X-Custom-Header", "Content-Encoding", "Date", "Age", "x-lower-case", "Weird_Name"}
	headerValues = []string{"text/html; charset=utf-8", "max-age=60, public", `"abc"`, "a=b; Path=/",
		"Accept-Encoding", "", " spaced ", "ünïcødé", "gzip", "image/png", strings.Repeat("v", 300)}
	words = []string{"the", "cache", "response", "<div class=\"x\">", "</div>", "{\"k\": 1}", "\n", "héllo"}
)

func (g *generator) header(nilChance, emptyChance int) http.Header {
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

func (g *generator) time() time.Time {
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

func (g *generator) body() []byte {
	switch g.r.IntN(30) {
	case 0:
		return nil
	case 1:
		return []byte{}
	case 2, 3, 4, 5, 6, 7, 8, 9:
		return g.binary(g.r.IntN(3000))
	case 10: // 1 MiB, text or binary
		if g.r.IntN(2) == 0 {
			return textBody(g.r, 1<<20)
		}
		return g.binary(1 << 20)
	}
	return textBody(g.r, g.r.IntN(5000))
}

func (g *generator) binary(n int) []byte {
	var seed [32]byte
	for i := range seed {
		seed[i] = byte(g.r.Uint32())
	}
	b := make([]byte, n)
	_, _ = rand.NewChaCha8(seed).Read(b)
	return b
}

func textBody(r *rand.Rand, n int) []byte {
	var b bytes.Buffer
	for b.Len() < n {
		b.WriteString(words[r.IntN(len(words))])
		b.WriteByte(' ')
	}
	return b.Bytes()[:n]
}

// response returns a random response or, one time in ten, a Vary index.
func (g *generator) response() *models.Response {
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
