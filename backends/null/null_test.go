package null_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/backends/backendtest"
	"github.com/cachedhttp/cachedhttp/backends/null"
)

func TestConformance(t *testing.T) {
	backendtest.Run(t, func(t *testing.T) backends.Backend {
		b := null.New()
		t.Cleanup(func() { _ = b.Close() })
		return b
	}, backendtest.Options{StoresNothing: true})
}

func TestZeroValueIsUsable(t *testing.T) {
	var b null.Backend
	ctx := context.Background()
	if err := b.Set(ctx, "k", []byte("v"), 0); err != nil {
		t.Fatalf("Set: %v", err)
	}
	if _, err := b.Get(ctx, "k"); !errors.Is(err, backends.ErrNotFound) {
		t.Fatalf("Get = %v; want ErrNotFound", err)
	}
}

func TestOpen(t *testing.T) {
	tests := []struct {
		dsn     string
		wantErr string
	}{
		{dsn: "null://"},
		{dsn: "NULL://"},
		{dsn: "null://?x=1", wantErr: `unknown DSN parameter "x"`},
		{dsn: "null://host/path", wantErr: "has a host or path"},
	}
	for _, tt := range tests {
		t.Run(tt.dsn, func(t *testing.T) {
			b, err := backends.Open(context.Background(), tt.dsn)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Open(%q) = %v; want an error mentioning %q", tt.dsn, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Open(%q): %v", tt.dsn, err)
			}
			if _, ok := b.(*null.Backend); !ok {
				t.Fatalf("Open(%q) returned %T; want *null.Backend", tt.dsn, b)
			}
			_ = b.Close()
		})
	}
}

func BenchmarkGet(b *testing.B) {
	n := null.New()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		_, _ = n.Get(ctx, "key")
	}
}

func BenchmarkSet1KiB(b *testing.B) {
	n := null.New()
	ctx := context.Background()
	v := make([]byte, 1<<10)
	b.ReportAllocs()
	for b.Loop() {
		_ = n.Set(ctx, "key", v, 0)
	}
}
