package backends

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"sync"
)

// Factory opens a Backend from a parsed DSN. The DSN's query parameters are
// the backend's options; a factory rejects parameters it does not know.
type Factory func(ctx context.Context, dsn *url.URL) (Backend, error)

var (
	registryMu sync.RWMutex
	registry   = map[string]Factory{}
)

// Register makes a backend available to Open under the given URL scheme. It
// is meant to be called from a backend package's init function and panics if
// the scheme is registered twice.
func Register(scheme string, f Factory) {
	registryMu.Lock()
	defer registryMu.Unlock()
	scheme = strings.ToLower(scheme)
	if _, dup := registry[scheme]; dup {
		panic("cachedhttp/backends: Register called twice for scheme " + scheme)
	}
	registry[scheme] = f
}

// Schemes returns the registered schemes in sorted order.
func Schemes() []string {
	registryMu.RLock()
	defer registryMu.RUnlock()
	s := make([]string, 0, len(registry))
	for k := range registry {
		s = append(s, k)
	}
	sort.Strings(s)
	return s
}

// Open opens the backend named by dsn, for example "memory://",
// "bbolt:///var/cache/http.db" or "redis://127.0.0.1:6379/0?prefix=app:".
// The backend's package must have been imported (import _
// "github.com/cachedhttp/cachedhttp/backends/redis") so that it registered
// its scheme.
func Open(ctx context.Context, dsn string) (Backend, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return nil, fmt.Errorf("backends: open %q: %w", redactDSN(dsn), err)
	}
	registryMu.RLock()
	f, ok := registry[strings.ToLower(u.Scheme)]
	registryMu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("backends: open %q: %w %q (registered: %s)", redactDSN(dsn), ErrUnknownScheme, u.Scheme, strings.Join(Schemes(), ", "))
	}
	b, err := f(ctx, u)
	if err != nil {
		return nil, fmt.Errorf("backends: open %q: %w", redactDSN(dsn), err)
	}
	return b, nil
}

// redactDSN hides a password in a DSN so that it can appear in errors.
func redactDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return dsn
	}
	return u.Redacted()
}
