package bench

import (
	"bytes"
	"io"
	"net/http"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// Hits: the entry is stored (and settled into the store) before the timer
// starts; reaching the origin during the timed loop fails the benchmark.
// The control (no cache) is measured beside the caches: every one of its
// requests goes to the origin, which is what a hit saves.

func BenchmarkHit1KiB(b *testing.B)   { benchHit(b, size1K, false) }
func BenchmarkHit256KiB(b *testing.B) { benchHit(b, size256K, false) }

// BenchmarkHit8MiB reports alloc/body: bytes allocated per hit over the
// body size, the caller's io.ReadAll included.
func BenchmarkHit8MiB(b *testing.B) { benchHit(b, size8M, false) }

// BenchmarkHit8MiBInto reads each body into one buffer the caller owns, so
// alloc/body counts only what the transport allocates.
func BenchmarkHit8MiBInto(b *testing.B) { benchHit(b, size8M, true) }

func benchHit(b *testing.B, size int, into bool) {
	impls := cacheImpls()
	if size <= size256K {
		impls = append(allImpls(), implFloorHit)
	}
	forEach(b, impls, func(b *testing.B, im impl, inst *instance) *http.Request {
		req := newReq(b, newURL("fresh", size))
		if err := do(inst.client, req, size); err != nil {
			b.Fatal(err)
		}
		inst.settle(b)
		return req
	}, func(b *testing.B, im impl, inst *instance, req *http.Request) {
		before := origin.hits.Load()
		// One untimed hit, so the first timed one is not the first read.
		if err := do(inst.client, req, size); err != nil {
			b.Fatal(err)
		}
		buf := make([]byte, size)
		var m allocMeter
		var cpu cpuMeter
		m.start()
		cpu.start()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			var err error
			if into {
				err = doInto(inst.client, req, buf)
			} else {
				err = do(inst.client, req, size)
			}
			if err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		cpu.report(b)
		if size >= size8M {
			b.ReportMetric(m.perOp(b.N)/float64(size), "alloc/body")
		}
		d := origin.hits.Load() - before
		if im.cache && d != 0 {
			b.Fatalf("%s: a hit benchmark reached the origin %d times in %d hits", im.name, d, b.N+1)
		}
		if !im.cache && d != int64(b.N)+1 {
			b.Fatalf("%s: %d requests without a cache reached the origin %d times", im.name, b.N+1, d)
		}
	})
	b.Run("impl=floor", func(b *testing.B) { benchFloorResponse(b, size, into) })
	b.Run("impl=floor-client", func(b *testing.B) { benchFloorClient(b, size, into) })
	if size == size1K || size == size256K {
		b.Run("impl=floor-bboltview", func(b *testing.B) { benchFloorBbolt(b, size) })
	}
	if size == size256K {
		b.Run("impl=floor-clone", func(b *testing.B) {
			body := pattern(size)
			b.ReportAllocs()
			var cpu cpuMeter
			cpu.start()
			for i := 0; i < b.N; i++ {
				sink = bytes.Clone(body)
			}
			b.StopTimer()
			cpu.report(b)
		})
	}
}

var sink []byte

// benchFloorResponse is floor (1): a map lookup, a copy of the body, an
// *http.Response with a header map and a bytes.Reader body, read with
// io.ReadAll (or into the caller's buffer).
func benchFloorResponse(b *testing.B, size int, into bool) {
	u := newURL("fresh", size)
	store := map[string][]byte{u: pattern(size)}
	n := strconv.Itoa(size)
	buf := make([]byte, size)
	b.ReportAllocs()
	var m allocMeter
	var cpu cpuMeter
	m.start()
	cpu.start()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		v := bytes.Clone(store[u])
		resp := &http.Response{
			Status: "200 OK", StatusCode: http.StatusOK, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header: http.Header{
				"Cache-Control":  {"public, max-age=3600"},
				"Content-Type":   {"application/octet-stream"},
				"Etag":           {etag},
				"Content-Length": {n},
			},
			ContentLength: int64(size),
			Body:          io.NopCloser(bytes.NewReader(v)),
		}
		if into {
			if _, err := io.ReadFull(resp.Body, buf); err != nil {
				b.Fatal(err)
			}
		} else {
			data, err := io.ReadAll(resp.Body)
			if err != nil || len(data) != size {
				b.Fatal(err)
			}
			sink = data
		}
		resp.Body.Close()
	}
	b.StopTimer()
	cpu.report(b)
	if size >= size8M {
		b.ReportMetric(m.perOp(b.N)/float64(size), "alloc/body")
	}
}

// floorTransport answers every request with floor (1)'s work: a map
// lookup, a copy of the body and a new *http.Response.
type floorTransport struct {
	store map[string][]byte
	n     string
}

func (f *floorTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	v := bytes.Clone(f.store[req.URL.String()])
	return &http.Response{
		Status: "200 OK", StatusCode: http.StatusOK, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{
			"Cache-Control":  {"public, max-age=3600"},
			"Content-Type":   {"application/octet-stream"},
			"Etag":           {etag},
			"Content-Length": {f.n},
		},
		ContentLength: int64(len(v)),
		Body:          io.NopCloser(bytes.NewReader(v)),
		Request:       req,
	}, nil
}

// benchFloorClient is floor (1) behind http.Client.Do, as the caches are
// measured: what http.Client itself costs is in it too.
func benchFloorClient(b *testing.B, size int, into bool) {
	u := newURL("fresh", size)
	c := &http.Client{Transport: &floorTransport{store: map[string][]byte{u: pattern(size)}, n: strconv.Itoa(size)}}
	req := newReq(b, u)
	buf := make([]byte, size)
	b.ReportAllocs()
	var m allocMeter
	var cpu cpuMeter
	m.start()
	cpu.start()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var err error
		if into {
			err = doInto(c, req, buf)
		} else {
			err = do(c, req, size)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	cpu.report(b)
	if size >= size8M {
		b.ReportMetric(m.perOp(b.N)/float64(size), "alloc/body")
	}
}

// benchFloorBbolt is floor (2): a bbolt View transaction that copies one
// value out.
func benchFloorBbolt(b *testing.B, size int) {
	db, err := bolt.Open(filepath.Join(b.TempDir(), "floor.db"), 0o600, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	bucket, key := []byte("entries"), []byte(newURL("fresh", size))
	if err := db.Update(func(tx *bolt.Tx) error {
		bk, err := tx.CreateBucketIfNotExists(bucket)
		if err != nil {
			return err
		}
		return bk.Put(key, pattern(size))
	}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	var cpu cpuMeter
	cpu.start()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := db.View(func(tx *bolt.Tx) error {
			sink = bytes.Clone(tx.Bucket(bucket).Get(key))
			return nil
		}); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	cpu.report(b)
}

// BenchmarkHitParallel1KiB spreads hits over 1000 stored URLs from
// GOMAXPROCS goroutines; run it with -cpu 1,2 to see how it scales.
func BenchmarkHitParallel1KiB(b *testing.B) {
	const nURLs = 1000
	forEach(b, cacheImpls(), func(b *testing.B, im impl, inst *instance) []string {
		urls := make([]string, nURLs)
		for i := range urls {
			urls[i] = newURL("fresh", size1K)
			if err := do(inst.client, newReq(b, urls[i]), size1K); err != nil {
				b.Fatal(err)
			}
		}
		inst.settle(b)
		return urls
	}, func(b *testing.B, im impl, inst *instance, urls []string) {
		// Each goroutine gets its own requests, made before the timer.
		procs := runtime.GOMAXPROCS(0)
		sets := make(chan []*http.Request, procs)
		for p := 0; p < procs; p++ {
			reqs := make([]*http.Request, nURLs)
			for i := range reqs {
				reqs[i] = newReq(b, urls[(i*7+p*131)%nURLs])
			}
			sets <- reqs
		}
		before := origin.hits.Load()
		var cpu cpuMeter
		cpu.start()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			var reqs []*http.Request
			select {
			case reqs = <-sets:
			default: // more goroutines than GOMAXPROCS (SetParallelism)
				reqs = make([]*http.Request, nURLs)
				for i := range reqs {
					reqs[i], _ = http.NewRequest(http.MethodGet, urls[i], nil)
				}
			}
			i := 0
			for pb.Next() {
				if err := do(inst.client, reqs[i%nURLs], size1K); err != nil {
					b.Error(err)
					return
				}
				i++
			}
		})
		b.StopTimer()
		cpu.report(b)
		if d := origin.hits.Load() - before; d != 0 {
			b.Fatalf("%s: a hit benchmark reached the origin %d times in %d hits", im.name, d, b.N)
		}
	})
}
