package backoff

import (
	"context"
	"time"
)

// Delay returns base doubled n times, at most ceiling: the pause before
// retry n (n == 0: base). It does not overflow for any n; n < 0 counts as
// 0, and a base of zero or less stays as it is.
func Delay(base, ceiling time.Duration, n int) time.Duration {
	d := base
	for i := 0; i < n && d > 0 && d < ceiling; i++ {
		if d > ceiling/2 {
			return ceiling
		}
		d *= 2
	}
	return min(d, ceiling)
}

// Sleep waits d, or until ctx is done, and then returns ctx's error. A
// pause of zero or less does not wait.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
