package cachedhttp

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"time"

	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/keys"
	"github.com/cachedhttp/cachedhttp/models"
	"github.com/cachedhttp/cachedhttp/serializers"
)

// This file is the Transport's maintenance API, which a Session also offers:
// iterate, read, delete and clear stored records. Every method returns an
// error matching ErrClosed after Close.

// Record is one stored entry as the maintenance API sees it.
type Record struct {
	// Key is the key the record is stored under.
	Key string
	// Response is the decoded record; nil when Err is set.
	Response *models.Response
	// Err is set when the record could not be read or decoded.
	Err error
}

// open returns ErrClosed after Close.
func (t *Transport) open() error {
	if t.closed.Load() {
		return ErrClosed
	}
	return nil
}

// raw returns the backend for maintenance, which runs with the caller's
// context, neither budgeted nor behind the circuit breaker.
func (t *Transport) raw() (backends.Backend, error) {
	if err := t.open(); err != nil {
		return nil, err
	}
	if b := t.guard.backend(); b != nil {
		return b, nil
	}
	return nil, errUnavailable
}

// Records yields every stored response (Vary indexes are skipped). Records
// that do not decode are yielded with Err set; a backend error ends the
// iteration after it is yielded.
func (t *Transport) Records(ctx context.Context) iter.Seq[Record] {
	return func(yield func(Record) bool) {
		b, err := t.raw()
		if err != nil {
			yield(Record{Err: err})
			return
		}
		for e, err := range b.Scan(ctx) {
			if errors.Is(err, backends.ErrCorrupt) {
				// A damaged record: reported with its key (maintenance
				// deletes it), and the scan goes on. One without a usable
				// key cannot be named and is passed over.
				if e.Key != "" && !yield(Record{Key: e.Key, Err: fmt.Errorf("cachedhttp: scan: %w", err)}) {
					return
				}
				continue
			}
			if err != nil {
				yield(Record{Err: fmt.Errorf("cachedhttp: scan: %w", err)})
				return
			}
			data, err := b.Get(ctx, e.Key)
			if errors.Is(err, backends.ErrNotFound) {
				continue
			}
			if err != nil {
				if !yield(Record{Key: e.Key, Err: fmt.Errorf("cachedhttp: get %q: %w", e.Key, err)}) {
					return
				}
				continue
			}
			rec, err := t.ser.Unmarshal(data)
			if err != nil {
				if !yield(Record{Key: e.Key, Err: fmt.Errorf("cachedhttp: decode %q: %w", e.Key, err)}) {
					return
				}
				continue
			}
			if rec.IsVaryIndex() {
				continue
			}
			if !yield(Record{Key: e.Key, Response: rec}) {
				return
			}
		}
	}
}

// Record returns the decoded record stored under key (a primary key may
// hold a Vary index: see models.Response.IsVaryIndex). A missing record
// matches backends.ErrNotFound; one that does not decode matches
// serializers.ErrInvalidRecord.
func (t *Transport) Record(ctx context.Context, key string) (*models.Response, error) {
	b, err := t.raw()
	if err != nil {
		return nil, err
	}
	if rec, ok := t.wb.lookup(key); ok {
		return rec, nil
	}
	data, err := b.Get(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("cachedhttp: record %q: %w", key, err)
	}
	rec, err := t.ser.Unmarshal(data)
	if err != nil {
		return nil, fmt.Errorf("cachedhttp: record %q: %w", key, err)
	}
	return rec, nil
}

// Key returns the cache key of req, as RoundTrip computes it (with the
// configured key function, matched headers and credential hashing). A
// request body is read and replaced so that req can still be sent; a body
// larger than WithMaxBodySize gives an error matching ErrBodyTooLarge.
func (t *Transport) Key(req *http.Request) (string, error) {
	body, r2, tooBig, err := readRequestBody(req, t.maxBody)
	if err != nil {
		return "", err
	}
	req.Body = r2.Body
	if tooBig {
		return "", fmt.Errorf("%w: %s %s has more than %d bytes", ErrBodyTooLarge, req.Method, req.URL, t.maxBody)
	}
	return t.key(req, body)
}

// Keys returns the key configuration the Transport computes keys with (for
// tools that show or parse keys; nil when a KeyFunc replaces it).
func (t *Transport) Keys() *keys.Config {
	if t.keyFunc != nil {
		return nil
	}
	k := t.keys
	return &k
}

// Serializer returns the serializer the Transport encodes records with.
func (t *Transport) Serializer() serializers.Serializer { return t.ser }

// Delete removes the records stored under keys; a write still queued for
// one of them does not land afterwards.
func (t *Transport) Delete(ctx context.Context, keys ...string) error {
	if err := t.open(); err != nil {
		return err
	}
	if err := t.wb.delete(ctx, keys...); err != nil {
		return fmt.Errorf("cachedhttp: delete %q: %w", keys, err)
	}
	return nil
}

// DeleteURL removes what is stored for a GET of rawURL made with header h
// (nil for none; pass the credentials used, since they take part in keys).
// Stored variants (Vary) are removed with their index; they are found by
// their keys, without reading any record.
func (t *Transport) DeleteURL(ctx context.Context, rawURL string, h http.Header) error {
	b, err := t.raw()
	if err != nil {
		return err
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return fmt.Errorf("cachedhttp: delete URL %q: %w", rawURL, err)
	}
	if h == nil {
		h = http.Header{}
	}
	req := (&http.Request{Method: http.MethodGet, URL: u, Header: h, Host: u.Host}).WithContext(ctx)
	key, err := t.key(req, nil)
	if err != nil {
		return fmt.Errorf("cachedhttp: delete URL %q: %w", rawURL, err)
	}
	ks := []string{key}
	if rec := t.get(ctx, key); rec.IsVaryIndex() {
		for k, err := range backends.Keys(ctx, b) {
			if errors.Is(err, backends.ErrCorrupt) {
				continue
			}
			if err != nil {
				return fmt.Errorf("cachedhttp: delete URL %q: %w", rawURL, err)
			}
			if keys.IsVariantOf(k, key) {
				ks = append(ks, k)
			}
		}
	}
	return t.Delete(ctx, ks...)
}

// DeleteExpired removes records that can no longer be used: past their
// stale window and without a validator to revalidate them, or past the
// backend's expiry (through backends.Sweeper, where the backend keeps
// expired values until swept). A record with a validator (ETag or
// Last-Modified) is kept until the backend expires it: a 304 can still
// renew it. It returns how many it deleted.
func (t *Transport) DeleteExpired(ctx context.Context) (int, error) {
	b, err := t.raw()
	if err != nil {
		return 0, err
	}
	if t.readOnly {
		return 0, ErrReadOnly
	}
	now := t.now()
	swept := 0
	if s, ok := b.(backends.Sweeper); ok {
		n, err := s.Sweep(ctx)
		if err != nil {
			return n, fmt.Errorf("cachedhttp: sweep: %w", err)
		}
		swept = n
	}
	var dead []string
	for r := range t.Records(ctx) {
		if r.Err != nil {
			if r.Key == "" {
				return 0, r.Err
			}
			dead = append(dead, r.Key) // undecodable: a miss forever
			continue
		}
		if expired(r.Response, now) {
			dead = append(dead, r.Key)
		}
	}
	if len(dead) == 0 {
		return swept, nil
	}
	return swept + len(dead), t.Delete(ctx, dead...)
}

// expired reports whether rec is past every use: stale, past its stale
// window, and without a validator.
func expired(rec *models.Response, now time.Time) bool {
	if rec.Expires.IsZero() || now.Before(rec.Expires) {
		return false
	}
	if !rec.StaleUntil.IsZero() && now.Before(rec.StaleUntil) {
		return false
	}
	return rec.Header.Get("ETag") == "" && rec.Header.Get("Last-Modified") == ""
}

// Clear removes everything the cache stores.
func (t *Transport) Clear(ctx context.Context) error {
	if err := t.open(); err != nil {
		return err
	}
	if err := t.wb.clear(ctx); err != nil {
		return fmt.Errorf("cachedhttp: clear: %w", err)
	}
	return nil
}
