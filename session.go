package cachedhttp

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/http"

	"github.com/cachedhttp/cachedhttp/backends/bbolt"
)

// Session is a ready-to-use *http.Client whose transport is a cache, plus
// the maintenance of that cache: iterate, delete, clear, stats. sess.Get,
// sess.Do and every other *http.Client method work as usual. Close it when
// done.
type Session struct {
	*http.Client
	// Cache is the caching transport behind Client.
	Cache *Transport
}

// NewSession returns a Session configured by opts. Without WithBackend or
// WithBackendDSN it stores responses in a bbolt file, http_cache.db in the
// working directory (see WithSessionPath).
func NewSession(opts ...Option) (*Session, error) {
	c := defaultConfig()
	c.apply(opts)
	if err := errors.Join(c.errs...); err != nil {
		return nil, err // before opening anything
	}
	if c.backend == nil && c.backendDSN == "" {
		path := c.sessionPath
		if path == "" {
			path = DefaultSessionPath
		}
		db, err := bbolt.Open(path, nil)
		if err != nil {
			return nil, fmt.Errorf("cachedhttp: open session cache: %w", err)
		}
		c.backend, c.ownsBackend = db, true
	}
	t, err := newTransport(c)
	if err != nil {
		return nil, err
	}
	return &Session{Client: &http.Client{Transport: t}, Cache: t}, nil
}

// DefaultSessionPath is the bbolt file a Session opens when given no
// backend and no WithSessionPath, relative to the working directory.
const DefaultSessionPath = "http_cache.db"

// Close flushes pending writes and closes the cache.
func (s *Session) Close() error { return s.Cache.Close() }

// Stats returns the cache's counters.
func (s *Session) Stats() Stats { return s.Cache.Stats() }

// Records yields every stored response; see Transport.Records.
func (s *Session) Records(ctx context.Context) iter.Seq[Record] { return s.Cache.Records(ctx) }

// Delete removes the records stored under keys.
func (s *Session) Delete(ctx context.Context, keys ...string) error {
	return s.Cache.Delete(ctx, keys...)
}

// DeleteURL removes what is stored for a GET of rawURL; see
// Transport.DeleteURL.
func (s *Session) DeleteURL(ctx context.Context, rawURL string, h http.Header) error {
	return s.Cache.DeleteURL(ctx, rawURL, h)
}

// DeleteExpired removes records that can no longer be used; see
// Transport.DeleteExpired.
func (s *Session) DeleteExpired(ctx context.Context) (int, error) { return s.Cache.DeleteExpired(ctx) }

// Clear removes everything the cache stores.
func (s *Session) Clear(ctx context.Context) error { return s.Cache.Clear(ctx) }
