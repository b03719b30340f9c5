package inspect

import (
	"context"
	"iter"

	"github.com/cachedhttp/cachedhttp"
	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/models"
)

// fakeCache is a Cache whose counters a test sets, for the sampler; the
// pages are tested over a real Transport in package inspect_test.
type fakeCache struct{ stats cachedhttp.Stats }

func (c *fakeCache) Records(context.Context) iter.Seq[cachedhttp.Record] {
	return func(func(cachedhttp.Record) bool) {}
}
func (c *fakeCache) Record(context.Context, string) (*models.Response, error) {
	return nil, backends.ErrNotFound
}
func (c *fakeCache) Delete(context.Context, ...string) error    { return nil }
func (c *fakeCache) DeleteExpired(context.Context) (int, error) { return 0, nil }
func (c *fakeCache) Clear(context.Context) error                { return nil }
func (c *fakeCache) Stats() cachedhttp.Stats                    { return c.stats }
