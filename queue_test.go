package cachedhttp

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/backends/memory"
)

// firstSetBlocks holds its first Set until open is closed, so that the
// writer is busy and later writes stay queued.
type firstSetBlocks struct {
	backends.Backend
	once    sync.Once
	entered chan struct{}
	open    chan struct{}
}

func (b *firstSetBlocks) Set(ctx context.Context, key string, v []byte, ttl time.Duration) error {
	b.once.Do(func() {
		close(b.entered)
		<-b.open
	})
	return b.Backend.Set(ctx, key, v, ttl)
}

func (b *firstSetBlocks) IsLocal() bool { return true }

func TestQueueLenCountsWaitingWrites(t *testing.T) {
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=60")
		w.Write([]byte(r.URL.Path))
	}))
	defer origin.Close()
	be := &firstSetBlocks{Backend: memory.New(memory.Options{}), entered: make(chan struct{}), open: make(chan struct{})}
	tr, err := NewTransport(WithBackend(be), WithWriteQueue(8))
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Transport: tr}
	get := func(path string) {
		t.Helper()
		resp, err := c.Get(origin.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadAll(resp.Body); err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if n := tr.QueueLen(); n != 0 {
		t.Fatalf("QueueLen before any request = %d, want 0", n)
	}
	get("/first")
	<-be.entered // the writer holds /first
	for _, p := range []string{"/a", "/b", "/c"} {
		get(p)
	}
	if n := tr.QueueLen(); n != 3 {
		t.Fatalf("QueueLen with the writer busy = %d, want 3", n)
	}
	close(be.open)
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	if n := tr.QueueLen(); n != 0 {
		t.Fatalf("QueueLen after Close = %d, want 0", n)
	}
}

func TestQueueLenWithoutQueue(t *testing.T) {
	tr, err := NewTransport(WithWriteQueue(0))
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	if n := tr.QueueLen(); n != 0 {
		t.Fatalf("QueueLen = %d, want 0", n)
	}
}
