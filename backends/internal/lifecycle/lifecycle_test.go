package lifecycle_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/backends/internal/lifecycle"
)

func TestCheck(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	var open, closed lifecycle.State
	closed.Close()
	tests := []struct {
		name  string
		state *lifecycle.State
		ctx   context.Context
		want  error // nil: no error
	}{
		{"open with a live context", &open, context.Background(), nil},
		{"open with a cancelled context", &open, cancelled, context.Canceled},
		{"closed", &closed, context.Background(), backends.ErrClosed},
		{"closed wins over a cancelled context", &closed, cancelled, backends.ErrClosed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.state.Check(tt.ctx)
			if (tt.want == nil) != (err == nil) || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Errorf("Check = %v; want %v", err, tt.want)
			}
			err = tt.state.Begin(tt.ctx, "store get", "k")
			if (tt.want == nil) != (err == nil) || (tt.want != nil && (!errors.Is(err, tt.want) || !strings.HasPrefix(err.Error(), `store get "k": `))) {
				t.Errorf("Begin = %v; want %v, prefixed with the operation", err, tt.want)
			}
		})
	}
}

func TestCloseOnce(t *testing.T) {
	var s lifecycle.State
	if s.Closed() {
		t.Fatal("the zero State is closed")
	}
	if !s.Close() {
		t.Error("first Close reported the state closed already")
	}
	if s.Close() {
		t.Error("second Close reported the state open")
	}
	if !s.Closed() {
		t.Error("Closed is false after Close")
	}
}

func TestDescribeKeys(t *testing.T) {
	tests := []struct {
		keys []string
		want string
	}{
		{nil, "(no keys)"},
		{[]string{"a"}, `"a"`},
		{[]string{"a\n", "b", "c"}, `"a\n" and 2 more`},
	}
	for _, tt := range tests {
		if got := lifecycle.DescribeKeys(tt.keys); got != tt.want {
			t.Errorf("DescribeKeys(%q) = %s; want %s", tt.keys, got, tt.want)
		}
	}
}

// Every backend method starts with Begin (or Check, when it names its keys
// itself).
func ExampleState_Begin() {
	var s lifecycle.State
	fmt.Println(s.Begin(context.Background(), "mongodb get", "k"))
	s.Close()
	fmt.Println(s.Begin(context.Background(), "mongodb get", "k"))
	fmt.Println(lifecycle.DescribeKeys([]string{"a", "b", "c"}))
	// Output:
	// <nil>
	// mongodb get "k": cachedhttp/backends: backend is closed
	// "a" and 2 more
}
