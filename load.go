package cachedhttp

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/models"
)

// lookup is the result of load: the stored response for a request, if any.
type lookup struct {
	primary  string // primary key
	key      string // key of the record (the variant key under Vary)
	rec      *models.Response
	vary     []string // Vary names of the index, when the primary is one
	varyMiss bool     // an index exists but not the variant
	gen      uint64   // invalidations of primary before the request (writeBehind.generation)

	index      *models.Response // the Vary index record, when the primary is one
	byLanguage bool             // rec is another variant, selected by language (varylang.go)
	own        string           // with byLanguage: the key of the request's own variant
}

// readHint is what getAt learned beside the record, for the caller's
// lookup: the clock as it read it, and the decoded-record cache's entry it
// answered with. Each is left as it was when getAt did not learn it.
type readHint struct {
	now time.Time   // the clock, read just before answering from the decoded cache
	dec *decodedRec // the entry whose record getAt returned last
}

// prepared returns the record rec prepared for Lookup when hint's entry
// holds it, else nil.
func (h *readHint) prepared(rec *models.Response) *decodedRec {
	if rec == nil || h.dec == nil || h.dec.rec() != rec {
		return nil
	}
	return h.dec
}

// load reads the record for req, following a Vary index to the variant.
// When hint is not nil, getAt fills it (only a hint.dec whose record is the
// lookup's describes it: readHint.prepared).
func (t *Transport) load(ctx context.Context, primary string, req *http.Request, hint *readHint) lookup {
	l := lookup{primary: primary, key: primary, gen: t.wb.generation(primary)}
	rec := t.getAt(ctx, primary, hint)
	if rec.IsVaryIndex() {
		l.index, l.vary = rec, rec.VaryIndex
		l.key = t.keys.Variant(primary, rec.VaryIndex, req.Header)
		rec = t.getAt(ctx, l.key, hint)
		if rec == nil || rec.IsVaryIndex() {
			l.varyMiss = true
			rec = nil
			if key, r := t.byLanguage(ctx, primary, l.index, req); r != nil {
				l.own, l.key, rec = l.key, key, r
				l.varyMiss, l.byLanguage = false, true
			}
		}
	}
	if rec != nil && t.pol.Filter != nil && !t.pol.Filter(rec.HTTPResponse(req)) {
		// The filter applies on read too (requests-cache's filter_fn): a
		// record it now rejects is a miss, and is deleted.
		if !t.readOnly {
			t.deleteKeys(ctx, l.key)
		}
		rec = nil
	}
	l.rec = rec
	return l
}

// get returns the decoded record stored under key, or nil: a record still
// queued for writing, else the backend's, through the decoded-record cache.
// Backend errors are logged and counted as misses; records that do not
// decode are deleted.
func (t *Transport) get(ctx context.Context, key string) *models.Response {
	return t.getAt(ctx, key, nil)
}

// getAt is get; when it answers from the decoded-record cache, it leaves
// the cache's entry in hint.dec, and when it read the clock to check the
// record's freshness before answering, the reading in hint.now, for the
// caller's lookup, which then need not read the record or the clock again
// (hint may be nil). A reading followed by a backend read is not left: the
// backend may take up to its budget, and the lookup must judge freshness at
// the time it runs.
func (t *Transport) getAt(ctx context.Context, key string, hint *readHint) *models.Response {
	if rec, ok := t.wb.lookup(key); ok {
		return rec
	}
	var ver uint64
	versioned := false
	if t.decoded != nil {
		if v, ok := t.guard.backend().(backends.Versioned); ok {
			// A store no other process writes, unchanged since the
			// record was read: the record is still the stored one,
			// and the read is skipped while it is fresh (a fresh
			// record is inside its backend lifetime, which runs at
			// least to Expires).
			ver, versioned = v.Version(), true
			if dec := t.decoded.current(key, ver); dec != nil {
				rec := dec.rec()
				if rec.Expires.IsZero() {
					hint.set(dec, time.Time{})
					return rec
				}
				if now := t.now(); now.Before(rec.Expires) {
					hint.set(dec, now)
					return rec
				}
			}
		}
	}
	data, err := t.guard.Get(ctx, key)
	if err != nil {
		if !errors.Is(err, backends.ErrNotFound) && !skipped(err) {
			t.stats.backendErrors.Add(1)
			t.log.warn(ctx, "cachedhttp: backend get failed", slog.String("key", key), slog.Any("error", err))
		}
		return nil
	}
	if t.decoded != nil {
		if dec := t.decoded.get(key, data, ver, versioned); dec != nil {
			hint.set(dec, time.Time{})
			return dec.rec()
		}
	}
	rec, err := t.ser.Unmarshal(data)
	if err != nil {
		t.stats.decodeErrors.Add(1)
		t.log.warn(ctx, "cachedhttp: dropping undecodable record", slog.String("key", key), slog.Any("error", err))
		if err := t.guard.Delete(ctx, key); err != nil {
			t.stats.backendErrors.Add(1)
		}
		return nil
	}
	if t.decoded != nil {
		if dec := t.decoded.put(key, data, rec, ver, versioned); dec != nil {
			hint.set(dec, time.Time{})
		}
	}
	return rec
}

// set records dec, and now when it is not zero, into h when h is not nil.
func (h *readHint) set(dec *decodedRec, now time.Time) {
	if h == nil {
		return
	}
	h.dec = dec
	if !now.IsZero() {
		h.now = now
	}
}

// skipped reports whether err says the backend was not called (breaker
// open, store not open yet): a silent miss, counted in Stats.BackendSkipped.
func skipped(err error) bool {
	return errors.Is(err, errBreakerOpen) || errors.Is(err, errUnavailable)
}
