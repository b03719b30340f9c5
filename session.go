package cachedhttp

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/backends/bbolt"
	"github.com/cachedhttp/cachedhttp/models"
	"github.com/cachedhttp/cachedhttp/serializers"
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
	for _, o := range opts {
		o(c)
	}
	if c.backend == nil && c.backendDSN == "" {
		db, err := bbolt.Open(c.sessionPath, nil)
		if err != nil {
			return nil, fmt.Errorf("cachedhttp: open session cache: %w", err)
		}
		c.backend, c.ownsBackend = db, true
	}
	t, err := newTransport(c)
	if err != nil {
		if c.ownsBackend && c.backend != nil {
			c.backend.Close()
		}
		return nil, err
	}
	return &Session{Client: &http.Client{Transport: t}, Cache: t}, nil
}

// Close flushes pending writes and closes the cache.
func (s *Session) Close() error { return s.Cache.Close() }

// Stats returns the cache's counters.
func (s *Session) Stats() Stats { return s.Cache.Stats() }

// Record is one stored entry as the maintenance API sees it.
type Record struct {
	// Key is the key the record is stored under.
	Key string
	// Response is the decoded record; nil when Err is set.
	Response *models.Response
	// Err is set when the record could not be read or decoded.
	Err error
}

// Records yields every stored response (Vary indexes are skipped). Records
// that do not decode are yielded with Err set; a backend error ends the
// iteration after it is yielded.
func (t *Transport) Records(ctx context.Context) iter.Seq[Record] {
	return func(yield func(Record) bool) {
		for e, err := range t.backend.Scan(ctx) {
			if err != nil {
				yield(Record{Err: fmt.Errorf("cachedhttp: scan: %w", err)})
				return
			}
			data, err := t.backend.Get(ctx, e.Key)
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

// Records yields every stored response; see Transport.Records.
func (s *Session) Records(ctx context.Context) iter.Seq[Record] { return s.Cache.Records(ctx) }

// Delete removes the records stored under keys.
func (t *Transport) Delete(ctx context.Context, keys ...string) error {
	t.wmu.Lock()
	defer t.wmu.Unlock()
	for _, k := range keys {
		t.pending.Delete(k)
	}
	if err := t.backend.Delete(ctx, keys...); err != nil {
		return fmt.Errorf("cachedhttp: delete %q: %w", keys, err)
	}
	return nil
}

// Delete removes the records stored under keys.
func (s *Session) Delete(ctx context.Context, keys ...string) error {
	return s.Cache.Delete(ctx, keys...)
}

// DeleteURL removes what is stored for a GET of rawURL made with header h
// (nil for none; pass the credentials used, since they take part in keys).
// Stored variants (Vary) are removed with their index.
func (t *Transport) DeleteURL(ctx context.Context, rawURL string, h http.Header) error {
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
		for r := range t.Records(ctx) {
			if strings.HasPrefix(r.Key, key+"|") {
				ks = append(ks, r.Key)
			}
		}
	}
	return t.Delete(ctx, ks...)
}

// DeleteURL removes what is stored for a GET of rawURL; see
// Transport.DeleteURL.
func (s *Session) DeleteURL(ctx context.Context, rawURL string, h http.Header) error {
	return s.Cache.DeleteURL(ctx, rawURL, h)
}

// DeleteExpired removes records that can no longer be used: past their
// stale window and without a validator to revalidate them, or past the
// backend's expiry (through backends.Sweeper, where the backend keeps
// expired values until swept). It returns how many it deleted.
func (t *Transport) DeleteExpired(ctx context.Context) (int, error) {
	now := t.now()
	swept := 0
	if s, ok := t.backend.(backends.Sweeper); ok {
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

// Key returns the cache key of req, as RoundTrip computes it (with the
// configured key function, matched headers and credential hashing). A
// request body is read and replaced so that req can still be sent.
func (t *Transport) Key(req *http.Request) (string, error) {
	body, r2, tooBig, err := readRequestBody(req, t.maxBody)
	if err != nil {
		return "", err
	}
	req.Body = r2.Body
	if tooBig {
		return "", fmt.Errorf("cachedhttp: key for %s %s: request body larger than %d bytes", req.Method, req.URL, t.maxBody)
	}
	return t.key(req, body)
}

// Record returns the decoded record stored under key (a primary key may
// hold a Vary index: see models.Response.IsVaryIndex). A missing record
// matches backends.ErrNotFound; one that does not decode matches
// serializers.ErrInvalidRecord.
func (t *Transport) Record(ctx context.Context, key string) (*models.Response, error) {
	if v, ok := t.pending.Load(key); ok {
		return v.(*models.Response), nil
	}
	data, err := t.backend.Get(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("cachedhttp: record %q: %w", key, err)
	}
	rec, err := t.ser.Unmarshal(data)
	if err != nil {
		return nil, fmt.Errorf("cachedhttp: record %q: %w", key, err)
	}
	return rec, nil
}

// Serializer returns the serializer the Transport encodes records with.
func (t *Transport) Serializer() serializers.Serializer { return t.ser }

// DeleteExpired removes records that can no longer be used; see
// Transport.DeleteExpired.
func (s *Session) DeleteExpired(ctx context.Context) (int, error) { return s.Cache.DeleteExpired(ctx) }

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
	t.wmu.Lock()
	defer t.wmu.Unlock()
	t.pending.Clear()
	if err := t.backend.Clear(ctx); err != nil {
		return fmt.Errorf("cachedhttp: clear: %w", err)
	}
	return nil
}

// Clear removes everything the cache stores.
func (s *Session) Clear(ctx context.Context) error { return s.Cache.Clear(ctx) }

// openDSN opens a backend from a DSN whose query may also choose the
// serializer (serializer=, compress=, ...); those parameters are removed
// before the backend sees the DSN.
func openDSN(dsn string, def serializers.Serializer) (backends.Backend, serializers.Serializer, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return nil, nil, fmt.Errorf("cachedhttp: backend DSN: %w", err)
	}
	q := u.Query()
	ser := def
	for _, p := range []string{serializers.ParamSerializer, serializers.ParamCompress, serializers.ParamCompressLevel,
		serializers.ParamSignKeyEnv, serializers.ParamEncryptKeyEnv} {
		if q.Has(p) {
			s, rest, err := serializers.FromQuery(q)
			if err != nil {
				return nil, nil, fmt.Errorf("cachedhttp: backend DSN %q: %w", u.Redacted(), err)
			}
			ser = s
			u.RawQuery = rest.Encode()
			break
		}
	}
	b, err := backends.Open(context.Background(), u.String())
	if err != nil {
		return nil, nil, err
	}
	return b, ser, nil
}
