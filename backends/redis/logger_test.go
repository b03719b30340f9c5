package redis_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/backends/redis"
)

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a logger.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// closedAddr returns an address of 127.0.0.1 where nothing listens.
func closedAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// go-redis's own lines (here: a failed dial) go to the logger given to
// SetLogger, not to standard error (the fault suite checks that nothing
// reaches standard error).
func TestGoRedisLinesGoToSetLogger(t *testing.T) {
	var buf syncBuffer
	redis.SetLogger(slog.New(slog.NewTextHandler(&buf, nil)))
	t.Cleanup(func() { redis.SetLogger(nil) })

	b, err := backends.Open(context.Background(), "redis://"+closedAddr(t)+"/0")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := b.Get(ctx, "k"); err == nil || errors.Is(err, backends.ErrNotFound) {
		t.Fatalf("Get from a closed port: %v, want a connection error", err)
	}
	if out := buf.String(); !strings.Contains(out, "failed to dial") || !strings.Contains(out, "component=go-redis") || !strings.Contains(out, "level=WARN") {
		t.Fatalf("logged %q; want go-redis's dial failure at Warn", out)
	}
}
