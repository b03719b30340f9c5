package serializers_test

import (
	"errors"
	"fmt"
	"log"
	"net/url"
	"os"
	"strings"

	"github.com/cachedhttp/cachedhttp/models"
	"github.com/cachedhttp/cachedhttp/serializers"
)

func ExampleDefault() {
	s := serializers.Default()
	rec, err := s.Marshal(&models.Response{StatusCode: 200, Body: []byte("hello")})
	if err != nil {
		log.Fatal(err)
	}
	r, err := s.Unmarshal(rec)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(r.StatusCode, string(r.Body))
	// Output: 200 hello
}

func ExampleNewPipeline() {
	// Compress, then encrypt with key rotation: new records use "2026-05",
	// records written under "2026-01" still read.
	keys := []serializers.Key{
		{ID: "2026-05", Secret: []byte("0123456789abcdef0123456789abcdef")},
		{ID: "2026-01", Secret: []byte("fedcba9876543210fedcba9876543210")},
	}
	p, err := serializers.NewPipeline(serializers.Compact, serializers.Zstd(3), serializers.Encrypt(keys...))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(p)
	// Output: cachedhttp v2 compact zstd aes-256-gcm:2026-05
}

func ExamplePlain() {
	// A compact record is its body plus a few bytes per field: common
	// header names and values are table entries, dates are numbers.
	r := &models.Response{
		StatusCode: 200, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: map[string][]string{
			"Content-Type":  {"application/json"},
			"Cache-Control": {"max-age=3600"},
			"Date":          {"Sun, 17 May 2026 10:00:00 GMT"},
		},
		Body:    []byte(`{"hello":"world"}`),
		Request: models.Request{Method: "GET", URL: "https://example.com/hello"},
	}
	rec, err := serializers.Plain().Marshal(r)
	if err != nil {
		log.Fatal(err)
	}
	h, err := serializers.Inspect(rec)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s: %d-byte header, %d bytes for a %d-byte body\n", h, h.Len, len(rec), len(r.Body))
	// Output: cachedhttp v2 compact: 5-byte header, 60 bytes for a 17-byte body
}

func ExampleInspect() {
	p := serializers.MustPipeline(serializers.JSON)
	rec, err := p.Marshal(&models.Response{StatusCode: 404})
	if err != nil {
		log.Fatal(err)
	}
	h, err := serializers.Inspect(rec)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(h.Codec, len(h.Stages))
	fmt.Print(strings.Join(strings.Split(string(rec), "\n")[:3], "\n"))
	// Output:
	// json 0
	// cachedhttp v1 json
	// {
	//   "status": 404,
}

func ExamplePipeline_Unmarshal_otherPipeline() {
	rec, err := serializers.MustPipeline(serializers.JSON).Marshal(&models.Response{StatusCode: 200})
	if err != nil {
		log.Fatal(err)
	}
	_, err = serializers.Default().Unmarshal(rec)
	fmt.Println(errors.Is(err, serializers.ErrInvalidRecord))
	fmt.Println(err)
	// Output:
	// true
	// cachedhttp/serializers: invalid record: record written by pipeline "cachedhttp v1 json", this pipeline is "cachedhttp v2 compact zstd"
}

func ExampleFromQuery() {
	// The DSN names an environment variable; the key never appears in it.
	os.Setenv("CACHE_KEYS", "k1:"+strings.Repeat("ab", 32))
	dsn, err := url.Parse("redis://localhost:6379/0?compress=zstd&encrypt_key_env=CACHE_KEYS&pool_size=10")
	if err != nil {
		log.Fatal(err)
	}
	s, rest, err := serializers.FromQuery(dsn.Query())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(s)
	fmt.Println(rest.Encode())
	// Output:
	// cachedhttp v2 compact zstd aes-256-gcm:k1
	// pool_size=10
}
