package bench

import (
	"bytes"
	"crypto/sha256"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The floors of a miss and of a revalidation: the least a correct cache
// does on top of the control. Each keys a response by the SHA-256 of its
// method and URL as given (no normalisation), refuses to keep one whose
// Cache-Control says no-store or private, and keeps what it would need to
// answer from later: a copy of the header (the caller may change the
// response's own map) and one exact copy of the body, teed into a buffer
// sized once from Content-Length as the caller reads it. No policy beyond
// that, no Vary, no record encoding, no Cache-Status. BOUNDS.md reads the
// miss and revalidation targets against them.

// implFloorKeep is the floor of a miss: it keeps every response in a map
// under a mutex.
var implFloorKeep = impl{name: "floor-keep", cache: true, open: func(tb testing.TB) *instance {
	return newKeeper(tb, false, false)
}}

// implFloorKeepBbolt is the floor of a miss on a bbolt file: what
// floor-keep keeps goes, behind the caller, into one bbolt file, keyed by
// the 32 bytes of the key, the header written as HTTP/1.1 writes it and
// followed by the body. As cachedhttp's write-behind does, a writer
// goroutine takes what is queued, waits up to 40 ms for more (up to 512)
// and stores them in one transaction, with bbolt's default fsyncs. No
// expiry index, no size bound, no key index separate from the values.
var implFloorKeepBbolt = impl{name: "floor-keep-bbolt", cache: true, open: func(tb testing.TB) *instance {
	return newKeeper(tb, false, true)
}}

// implFloorReval is the floor of a revalidation: a request for a URL whose
// kept response has validators goes out with If-None-Match and
// If-Modified-Since (both, as RFC 9111 §4.3.1 has a cache send them), and a
// 304 is answered with the kept header updated by the 304's fields (§4.3.4;
// Content-Length stays the kept one) and the kept bytes. The updated header
// goes to the caller and is not kept: the bench's 304s change only Date.
var implFloorReval = impl{name: "floor-reval", cache: true, open: func(tb testing.TB) *instance {
	return newKeeper(tb, true, false)
}}

func newKeeper(tb testing.TB, revalidate, toBbolt bool) *instance {
	base := newBase()
	k := &keeper{next: base, revalidate: revalidate, m: map[[sha256.Size]byte]*kept{}}
	var closeFn func() error
	if toBbolt {
		db, err := bolt.Open(filepath.Join(tb.TempDir(), "floor.db"), 0o600, nil)
		if err != nil {
			tb.Fatal(err)
		}
		k.db, k.queue, k.done = db, make(chan keptWrite, 256), make(chan struct{})
		go k.writer()
		closeFn = func() error {
			close(k.queue)
			<-k.done
			return db.Close()
		}
	}
	inst := newInstance(tb, k, base, closeFn)
	inst.stored = func(tb testing.TB) int {
		if k.db == nil {
			k.mu.Lock()
			defer k.mu.Unlock()
			return len(k.m)
		}
		k.flush()
		n := 0
		if err := k.db.View(func(tx *bolt.Tx) error {
			if b := tx.Bucket(keptBucket); b != nil {
				n = b.Stats().KeyN
			}
			return nil
		}); err != nil {
			tb.Fatal(err)
		}
		return n
	}
	return inst
}

// kept is what a keeper holds for a key.
type kept struct {
	header http.Header
	body   []byte
}

// keptWrite is one response queued for the bbolt file.
type keptWrite struct {
	key  [sha256.Size]byte
	kept *kept
}

var keptBucket = []byte("kept")

type keeper struct {
	next       http.RoundTripper
	revalidate bool // floor-reval: send the kept validators, answer 304s
	mu         sync.Mutex
	m          map[[sha256.Size]byte]*kept

	// floor-keep-bbolt: the file, the writer's queue, and done (closed
	// when the writer returns).
	db       *bolt.DB
	queue    chan keptWrite
	done     chan struct{}
	inflight sync.WaitGroup
}

// floorKey is the floors' cache key: the SHA-256 of the method and the URL
// as given, built on the stack.
func floorKey(req *http.Request) [sha256.Size]byte {
	var b [256]byte
	u := req.URL
	s := append(b[:0], req.Method...)
	s = append(s, ' ')
	s = append(s, u.Scheme...)
	s = append(s, "://"...)
	s = append(s, u.Host...)
	s = append(s, u.EscapedPath()...)
	if u.RawQuery != "" {
		s = append(s, '?')
		s = append(s, u.RawQuery...)
	}
	return sha256.Sum256(s)
}

func (k *keeper) RoundTrip(req *http.Request) (*http.Response, error) {
	key := floorKey(req)
	var have *kept
	if k.revalidate {
		k.mu.Lock()
		have = k.m[key]
		k.mu.Unlock()
		if have != nil && len(have.header["Etag"]) == 0 && len(have.header["Last-Modified"]) == 0 {
			have = nil
		}
	}
	if have != nil {
		creq := new(http.Request)
		*creq = *req
		creq.Header = make(http.Header, len(req.Header)+2)
		for f, vv := range req.Header {
			creq.Header[f] = vv
		}
		if v := have.header["Etag"]; len(v) > 0 {
			creq.Header["If-None-Match"] = v[:1:1]
		}
		if v := have.header["Last-Modified"]; len(v) > 0 {
			creq.Header["If-Modified-Since"] = v[:1:1]
		}
		req = creq
	}
	resp, err := k.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	if have != nil && resp.StatusCode == http.StatusNotModified {
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		merged := have.header.Clone()
		for f, vv := range resp.Header {
			if f != "Content-Length" {
				merged[f] = vv
			}
		}
		resp.StatusCode, resp.Status = http.StatusOK, "200 OK"
		resp.Header = merged
		resp.ContentLength = int64(len(have.body))
		resp.Body = io.NopCloser(bytes.NewReader(have.body))
		return resp, nil
	}
	if cc := strings.Join(resp.Header["Cache-Control"], ","); resp.StatusCode != http.StatusOK ||
		strings.Contains(cc, "no-store") || strings.Contains(cc, "private") {
		return resp, nil
	}
	t := &floorTee[keepSink]{rc: resp.Body, sink: keepSink{k: k, key: key, kept: &kept{header: resp.Header.Clone()}}}
	if resp.ContentLength > 0 && resp.ContentLength <= 1<<20 {
		t.buf.Grow(int(resp.ContentLength))
	}
	resp.Body = t
	return resp, nil
}

// keep holds kp under key: in the map, and for floor-keep-bbolt queued for
// the file.
func (k *keeper) keep(key [sha256.Size]byte, kp *kept) {
	if k.db == nil {
		k.mu.Lock()
		k.m[key] = kp
		k.mu.Unlock()
		return
	}
	k.inflight.Add(1)
	k.queue <- keptWrite{key: key, kept: kp}
}

// flush waits until everything queued for the file is in it.
func (k *keeper) flush() { k.inflight.Wait() }

// writer stores queued responses in the bbolt file, in batches.
func (k *keeper) writer() {
	defer close(k.done)
	batch := make([]keptWrite, 0, 512)
	var buf bytes.Buffer
	for w := range k.queue {
		batch = append(batch[:0], w)
		t := time.NewTimer(40 * time.Millisecond)
	fill:
		for len(batch) < cap(batch) {
			select {
			case w, ok := <-k.queue:
				if !ok {
					break fill
				}
				batch = append(batch, w)
			case <-t.C:
				break fill
			}
		}
		t.Stop()
		err := k.db.Update(func(tx *bolt.Tx) error {
			b, err := tx.CreateBucketIfNotExists(keptBucket)
			if err != nil {
				return err
			}
			for _, w := range batch {
				buf.Reset()
				if err := w.kept.header.Write(&buf); err != nil {
					return err
				}
				buf.WriteString("\r\n")
				buf.Write(w.kept.body)
				if err := b.Put(w.key[:], bytes.Clone(buf.Bytes())); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			panic("floor-keep-bbolt: " + err.Error())
		}
		for range batch {
			k.inflight.Done()
		}
	}
}

// floorTee copies a body into buf as the caller reads it and, at its
// EOF, hands what it read to sink once (the floors' tee: sink is a struct
// value, so the tee is their only allocation for it).
type floorTee[S interface{ keepBody(body []byte) }] struct {
	rc   io.ReadCloser
	sink S
	buf  bytes.Buffer
	done bool
}

func (t *floorTee[S]) Read(p []byte) (int, error) {
	n, err := t.rc.Read(p)
	t.buf.Write(p[:n])
	if err == io.EOF && !t.done {
		t.done = true
		t.sink.keepBody(t.buf.Bytes())
	}
	return n, err
}

func (t *floorTee[S]) Close() error { return t.rc.Close() }

// keepSink keeps a body whose length agrees with Content-Length.
type keepSink struct {
	k    *keeper
	key  [sha256.Size]byte
	kept *kept
}

func (s keepSink) keepBody(body []byte) {
	if cl := s.kept.header.Get("Content-Length"); cl == "" || cl == strconv.Itoa(len(body)) {
		s.kept.body = bytes.Clone(body)
		s.k.keep(s.key, s.kept)
	}
}
