package backoff_test

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/cachedhttp/cachedhttp/backends/internal/backoff"
)

func TestDelay(t *testing.T) {
	tests := []struct {
		name          string
		base, ceiling time.Duration
		n             int
		want          time.Duration
	}{
		{"the first retry waits the base", 10 * time.Millisecond, time.Second, 0, 10 * time.Millisecond},
		{"each retry doubles it", 10 * time.Millisecond, time.Second, 3, 80 * time.Millisecond},
		{"up to the ceiling", 10 * time.Millisecond, time.Second, 7, time.Second},
		{"a huge attempt does not overflow", time.Millisecond, time.Hour, math.MaxInt, time.Hour},
		{"a ceiling that is no power of two of the base", 3 * time.Millisecond, 10 * time.Millisecond, 2, 10 * time.Millisecond},
		{"a negative attempt counts as the first", time.Millisecond, time.Second, -1, time.Millisecond},
		{"the ceiling bounds the base itself", time.Second, time.Millisecond, 0, time.Millisecond},
		{"near the largest Duration", math.MaxInt64 / 3, math.MaxInt64, 5, math.MaxInt64},
		{"a zero base", 0, time.Second, math.MaxInt, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := backoff.Delay(tt.base, tt.ceiling, tt.n); got != tt.want {
				t.Errorf("Delay(%v, %v, %d) = %v; want %v", tt.base, tt.ceiling, tt.n, got, tt.want)
			}
		})
	}
}

func TestSleep(t *testing.T) {
	if err := backoff.Sleep(t.Context(), time.Microsecond); err != nil {
		t.Errorf("Sleep of a pause with a live context = %v; want nil", err)
	}
	if err := backoff.Sleep(t.Context(), 0); err != nil {
		t.Errorf("Sleep(0) with a live context = %v; want nil", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	// An hour: only the cancelled context can end it.
	if err := backoff.Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("Sleep with a cancelled context = %v; want context.Canceled", err)
	}
	if err := backoff.Sleep(ctx, 0); !errors.Is(err, context.Canceled) {
		t.Errorf("Sleep(0) with a cancelled context = %v; want context.Canceled", err)
	}
}
