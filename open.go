package cachedhttp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"syscall"
	"time"

	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/serializers"
)

// splitDSN separates the serializer parameters (serializer=, compress=, ...)
// of a backend DSN from the rest, which the backend sees. It does no I/O.
func splitDSN(dsn string, def serializers.Serializer) (string, serializers.Serializer, bool, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return "", nil, false, fmt.Errorf("cachedhttp: backend DSN: %w", err)
	}
	q := u.Query()
	for _, p := range []string{serializers.ParamSerializer, serializers.ParamCompress, serializers.ParamCompressLevel,
		serializers.ParamSignKeyEnv, serializers.ParamEncryptKeyEnv} {
		if q.Has(p) {
			s, rest, err := serializers.FromQuery(q)
			if err != nil {
				return "", nil, false, fmt.Errorf("cachedhttp: backend DSN %q: %w", u.Redacted(), err)
			}
			u.RawQuery = rest.Encode()
			return u.String(), s, true, nil
		}
	}
	return dsn, def, false, nil
}

// openBounded opens dsn under timeout. backends.Open runs in its own
// goroutine, so a store whose open ignores its context (index or table
// creation against a hung server) still cannot hold the caller past it; a
// store that opens after the timeout is closed.
func openBounded(dsn string, timeout time.Duration) (backends.Backend, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	type result struct {
		b   backends.Backend
		err error
	}
	done := make(chan result, 1)
	go func() {
		b, err := backends.Open(ctx, dsn)
		done <- result{b, err}
	}()
	select {
	case r := <-done:
		return r.b, r.err
	case <-ctx.Done():
		go func() {
			if r := <-done; r.b != nil {
				r.b.Close()
			}
		}()
		return nil, fmt.Errorf("cachedhttp: open backend: %w", ctx.Err())
	}
}

// unreachable reports whether err says the store could not be reached (as
// opposed to a DSN or configuration the store refuses).
func unreachable(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EHOSTUNREACH)
}

// reopen keeps trying to open dsn in the background after the store could
// not be reached at start, until it opens or the Transport closes. Until
// then the Transport serves plain HTTP.
func (t *Transport) reopen(dsn string, timeout time.Duration, first error) {
	t.log.Warn("cachedhttp: backend unreachable; serving uncached and retrying in the background",
		slog.String("dsn", redactDSN(dsn)), slog.Any("error", first))
	wait := time.Second
	for {
		select {
		case <-t.done:
			return
		case <-time.After(wait):
		}
		b, err := openBounded(dsn, timeout)
		if err == nil {
			if !t.guard.set(b) {
				return // closed meanwhile
			}
			t.log.Info("cachedhttp: backend opened; caching resumes", slog.String("dsn", redactDSN(dsn)))
			return
		}
		t.log.Debug("cachedhttp: backend still unreachable", slog.String("dsn", redactDSN(dsn)), slog.Any("error", err))
		wait = min(2*wait, 30*time.Second)
	}
}

func redactDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "(unparsable DSN)"
	}
	return u.Redacted()
}
