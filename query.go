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
	"github.com/cachedhttp/cachedhttp/models"
	"github.com/cachedhttp/cachedhttp/policy"
)

// This file holds the inspection and maintenance calls requests-cache users
// reach for: contains, filter, urls, delete by age, reset_expiration,
// update (import from another cache) and recreate_keys.

// Contains reports whether a record is stored under key (read-your-writes:
// a record still queued counts). It reads no value where the backend can
// tell without (it asks Get otherwise).
func (t *Transport) Contains(ctx context.Context, key string) (bool, error) {
	b, err := t.raw()
	if err != nil {
		return false, err
	}
	if _, ok := t.wb.lookup(key); ok {
		return true, nil
	}
	_, err = b.Get(ctx, key)
	if errors.Is(err, backends.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("cachedhttp: contains %q: %w", key, err)
	}
	return true, nil
}

// ContainsRequest reports whether a response to req is stored (for a Vary
// index, whether the variant req selects is).
func (t *Transport) ContainsRequest(req *http.Request) (bool, error) {
	key, err := t.Key(req)
	if err != nil {
		return false, err
	}
	if err := t.open(); err != nil {
		return false, err
	}
	l := t.load(req.Context(), key, req, nil)
	return l.rec != nil, nil
}

// ContainsURL reports whether a response to a GET of rawURL with header h
// (nil for none) is stored.
func (t *Transport) ContainsURL(ctx context.Context, rawURL string, h http.Header) (bool, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return false, fmt.Errorf("cachedhttp: contains URL %q: %w", rawURL, err)
	}
	if h == nil {
		h = http.Header{}
	}
	return t.ContainsRequest((&http.Request{Method: http.MethodGet, URL: u, Header: h, Host: u.Host}).WithContext(ctx))
}

// Filter selects records for Find (requests-cache's filter()). The zero
// Filter selects every record.
type Filter struct {
	// Valid selects records still fresh; Expired records past their
	// freshness. Neither (or both) selects both.
	Valid, Expired bool
	// OlderThan selects records created more than this long ago.
	OlderThan time.Duration
	// URL selects records whose request URL matches this glob, in the
	// dialect of WithURLRule (host, path and query; * ? [...]; a prefix).
	URL string
}

// Find yields the stored responses f selects, as Records does (undecodable
// records are yielded with Err set, and never selected otherwise).
func (t *Transport) Find(ctx context.Context, f Filter) iter.Seq[Record] {
	var pol policy.Policy
	var bad error
	if f.URL != "" {
		bad = policy.ValidateGlob(f.URL)
		pol.Rules = []policy.Rule{{Glob: f.URL, Expire: policy.NeverExpire}}
	}
	now := t.now()
	return func(yield func(Record) bool) {
		if bad != nil {
			yield(Record{Err: fmt.Errorf("cachedhttp: find: %w", bad)})
			return
		}
		for r := range t.Records(ctx) {
			if r.Err == nil && !f.selects(&pol, r.Response, now) {
				continue
			}
			if !yield(r) {
				return
			}
		}
	}
}

func (f Filter) selects(pol *policy.Policy, rec *models.Response, now time.Time) bool {
	fresh := rec.Expires.IsZero() || now.Before(rec.Expires)
	if f.Valid != f.Expired && fresh != f.Valid {
		return false
	}
	if f.OlderThan > 0 && now.Sub(rec.Created) <= f.OlderThan {
		return false
	}
	if f.URL != "" {
		u, err := url.Parse(rec.Request.URL)
		if err != nil {
			return false
		}
		if _, ok := pol.RuleFor(u); !ok {
			return false
		}
	}
	return true
}

// URLs yields the request URL of every stored response (requests-cache's
// urls()), once each.
func (t *Transport) URLs(ctx context.Context) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		seen := map[string]bool{}
		for r := range t.Records(ctx) {
			if r.Err != nil {
				if r.Key == "" && !yield("", r.Err) {
					return
				}
				continue
			}
			if u := r.Response.Request.URL; !seen[u] {
				seen[u] = true
				if !yield(u, nil) {
					return
				}
			}
		}
	}
}

// DeleteOlderThan deletes the records created more than d ago and returns
// how many it deleted.
func (t *Transport) DeleteOlderThan(ctx context.Context, d time.Duration) (int, error) {
	return t.deleteFound(ctx, Filter{OlderThan: d})
}

// DeleteFound deletes the records f selects and returns how many.
func (t *Transport) DeleteFound(ctx context.Context, f Filter) (int, error) {
	return t.deleteFound(ctx, f)
}

func (t *Transport) deleteFound(ctx context.Context, f Filter) (int, error) {
	if t.readOnly {
		return 0, ErrReadOnly
	}
	var dead []string
	for r := range t.Find(ctx, f) {
		if r.Err != nil {
			if r.Key == "" {
				return 0, r.Err
			}
			continue
		}
		dead = append(dead, r.Key)
	}
	if len(dead) == 0 {
		return 0, nil
	}
	return len(dead), t.Delete(ctx, dead...)
}

// ResetExpiration applies a new lifetime to every stored response, from
// now (requests-cache's reset_expiration): d > 0 makes each fresh for d,
// NeverExpire fresh forever, ExpireImmediately stale (revalidated before
// use). It returns how many records it rewrote.
func (t *Transport) ResetExpiration(ctx context.Context, d time.Duration) (int, error) {
	if t.readOnly {
		return 0, ErrReadOnly
	}
	if d < 0 && d != NeverExpire && d != ExpireImmediately {
		return 0, fmt.Errorf("%w: ResetExpiration(%v)", ErrInvalidOption, d)
	}
	b, err := t.raw()
	if err != nil {
		return 0, err
	}
	now := t.now()
	n := 0
	for r := range t.Records(ctx) {
		if r.Err != nil {
			if r.Key == "" {
				return n, r.Err
			}
			continue
		}
		rec := *r.Response
		var ttl time.Duration
		switch {
		case d == NeverExpire:
			rec.Expires, rec.Revalidate = time.Time{}, false
		case d == ExpireImmediately || d == 0:
			rec.Expires, rec.Revalidate = now, true
			ttl = t.pol.KeepStale
		default:
			rec.Expires, rec.Revalidate = now.Add(d), false
			ttl = d + t.pol.KeepStale
		}
		data, err := t.ser.Marshal(&rec)
		if err != nil {
			return n, fmt.Errorf("cachedhttp: reset expiration of %q: %w", r.Key, err)
		}
		if err := b.Set(ctx, r.Key, data, ttl); err != nil {
			return n, fmt.Errorf("cachedhttp: reset expiration of %q: %w", r.Key, err)
		}
		n++
	}
	return n, nil
}

// Import copies every record of src into t (requests-cache's update()),
// re-encoding each with t's serializer under the key t computes for its
// stored request (so caches with other key options or serializers can be
// merged), with the remaining lifetime src's backend reports. Vary indexes
// and variants are copied as they are. It returns how many records it
// stored.
func (t *Transport) Import(ctx context.Context, src *Transport) (int, error) {
	if t.readOnly {
		return 0, ErrReadOnly
	}
	b, err := t.raw()
	if err != nil {
		return 0, err
	}
	sb, err := src.raw()
	if err != nil {
		return 0, err
	}
	now := t.now()
	n := 0
	for e, err := range sb.Scan(ctx) {
		if errors.Is(err, backends.ErrCorrupt) {
			continue // a damaged record in src: nothing to import
		}
		if err != nil {
			return n, fmt.Errorf("cachedhttp: import: %w", err)
		}
		data, err := sb.Get(ctx, e.Key)
		if errors.Is(err, backends.ErrNotFound) {
			continue
		}
		if err != nil {
			return n, fmt.Errorf("cachedhttp: import %q: %w", e.Key, err)
		}
		rec, err := src.ser.Unmarshal(data)
		if err != nil {
			continue // undecodable: a miss in src too
		}
		if data, err = t.ser.Marshal(rec); err != nil {
			return n, fmt.Errorf("cachedhttp: import %q: %w", e.Key, err)
		}
		var ttl time.Duration
		if !e.Expires.IsZero() {
			if ttl = e.Expires.Sub(now); ttl <= 0 {
				continue
			}
		}
		if err := b.Set(ctx, e.Key, data, ttl); err != nil {
			return n, fmt.Errorf("cachedhttp: import %q: %w", e.Key, err)
		}
		n++
	}
	return n, nil
}

// RecreateKeys re-keys every stored response after the key options changed
// (requests-cache's recreate_keys): previous are the key options the
// records were written under (WithMatchHeaders, WithIgnoredParams, ...).
// A record is moved only when the previous options give its stored request
// exactly the key it is stored under: credentials and secret parameters are
// never stored, so a record keyed by one cannot be re-keyed without
// risking that one user's response serves another, and is left as it is
// (counted in skipped), as are records of requests with a body and Vary
// variants.
func (t *Transport) RecreateKeys(ctx context.Context, previous ...Option) (moved, skipped int, err error) {
	if t.readOnly {
		return 0, 0, ErrReadOnly
	}
	old := defaultConfig()
	old.apply(previous)
	if err := errors.Join(old.errs...); err != nil {
		return 0, 0, err
	}
	oldKey := func(req *http.Request) (string, error) {
		if old.keyFunc != nil {
			return old.keyFunc(req, nil)
		}
		return old.keys.Create(req, nil), nil
	}
	for r := range t.Records(ctx) {
		if r.Err != nil {
			if r.Key == "" {
				return moved, skipped, r.Err
			}
			continue
		}
		req, ok := storedRequest(ctx, r.Response)
		if !ok {
			skipped++
			continue
		}
		if k, err := oldKey(req); err != nil || k != r.Key {
			skipped++ // keyed by something that was not stored
			continue
		}
		key, err := t.key(req, nil)
		if err != nil {
			skipped++
			continue
		}
		if key == r.Key {
			continue
		}
		if err := t.move(ctx, r, key); err != nil {
			return moved, skipped, err
		}
		moved++
	}
	return moved, skipped, nil
}

// storedRequest rebuilds the request a record answered, when it can be:
// a GET or HEAD (bodies are not stored) of a parsable URL.
func storedRequest(ctx context.Context, rec *models.Response) (*http.Request, bool) {
	m := rec.Request.Method
	if m == "" {
		m = http.MethodGet
	}
	if m != http.MethodGet && m != http.MethodHead {
		return nil, false
	}
	u, err := url.Parse(rec.Request.URL)
	if err != nil || u.Host == "" {
		return nil, false
	}
	h := rec.Request.Header.Clone()
	if h == nil {
		h = http.Header{}
	}
	return (&http.Request{Method: m, URL: u, Header: h, Host: u.Host}).WithContext(ctx), true
}

// move stores r's record under key, with its remaining lifetime, and
// deletes it from r.Key.
func (t *Transport) move(ctx context.Context, r Record, key string) error {
	b, err := t.raw()
	if err != nil {
		return err
	}
	data, err := t.ser.Marshal(r.Response)
	if err != nil {
		return fmt.Errorf("cachedhttp: re-key %q: %w", r.Key, err)
	}
	var ttl time.Duration
	if !r.Response.Expires.IsZero() {
		ttl = max(r.Response.Expires.Sub(t.now()), 0) + t.pol.KeepStale
	}
	if err := b.Set(ctx, key, data, ttl); err != nil {
		return fmt.Errorf("cachedhttp: re-key %q: %w", r.Key, err)
	}
	return t.Delete(ctx, r.Key)
}
