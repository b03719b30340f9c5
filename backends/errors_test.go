package backends_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/cachedhttp/cachedhttp/backends"
)

// TestNotFound: the miss error matches ErrNotFound (also wrapped again) and
// not the other errors, and reads as the fmt.Errorf it replaces.
func TestNotFound(t *testing.T) {
	err := backends.NotFound("bbolt get", "v1:ab\"c")
	if !errors.Is(err, backends.ErrNotFound) || !errors.Is(fmt.Errorf("outer: %w", err), backends.ErrNotFound) {
		t.Fatal("does not match ErrNotFound")
	}
	if errors.Is(err, backends.ErrCorrupt) || errors.Is(err, backends.ErrClosed) {
		t.Fatal("matches another error")
	}
	if got, want := err.Error(), fmt.Errorf("bbolt get %q: %w", "v1:ab\"c", backends.ErrNotFound).Error(); got != want {
		t.Fatalf("message %q, want %q", got, want)
	}
}
