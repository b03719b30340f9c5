package cachedhttp

import (
	"context"
	"time"

	"github.com/cachedhttp/cachedhttp/policy"
)

// Per-request controls, carried in the request's context.

type ctlKey struct{}

func controls(ctx context.Context) policy.Controls {
	c, _ := ctx.Value(ctlKey{}).(policy.Controls)
	return c
}

func withControls(ctx context.Context, f func(*policy.Controls)) context.Context {
	c := controls(ctx)
	f(&c)
	return context.WithValue(ctx, ctlKey{}, c)
}

// Refresh returns a context whose requests revalidate a stored response with
// the origin before using it (a conditional request; a 304 keeps it).
func Refresh(ctx context.Context) context.Context {
	return withControls(ctx, func(c *policy.Controls) { c.Refresh = true })
}

// ForceRefresh returns a context whose requests ignore what is stored, go to
// the origin unconditionally and store the new response.
func ForceRefresh(ctx context.Context) context.Context {
	return withControls(ctx, func(c *policy.Controls) { c.ForceRefresh = true })
}

// OnlyIfCached returns a context whose requests never reach the origin: a
// usable stored response or a 504 Gateway Timeout (RFC 9111 §5.2.1.7).
func OnlyIfCached(ctx context.Context) context.Context {
	return withControls(ctx, func(c *policy.Controls) { c.OnlyIfCached = true })
}

// Bypass returns a context whose requests neither read nor write the cache.
func Bypass(ctx context.Context) context.Context {
	return withControls(ctx, func(c *policy.Controls) { c.Bypass = true })
}

// ExpireAfter returns a context whose requests accept a stored response only
// if it is younger than d, and store new responses for d. The special values
// NeverExpire, ExpireImmediately and DoNotCache apply.
func ExpireAfter(ctx context.Context, d time.Duration) context.Context {
	return withControls(ctx, func(c *policy.Controls) { c.Expire = policy.ExpireAfter(d) })
}
