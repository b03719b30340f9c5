package cachedhttp

import (
	"net/http"
	"sync/atomic"
	"time"

	"github.com/cachedhttp/cachedhttp/models"
	"github.com/cachedhttp/cachedhttp/policy"
)

// decodedRec is a decoded record with what its hits read from it alone,
// prepared once when it is decoded: the policy's inputs (policy.Prepared,
// which holds the record) and its header's fields as two lists, which serve
// copies without iterating the stored map. Like the record, it is never
// modified once made.
type decodedRec struct {
	prep  *policy.Prepared
	names []string   // the header's names, without Age (serve sets its own)
	vals  [][]string // vals[i] are the values of names[i]
	nvals int        // the number of values in vals
	// cacheStatus reports a stored Cache-Status (an upstream cache's),
	// which serve must extend rather than set.
	cacheStatus bool
	// last holds the Age and Cache-Status values of the hit served last,
	// for the hits after it in the same second (hitStamp).
	last atomic.Pointer[hitStamp]
}

// hitStamp is the Age and Cache-Status values of a plain hit (nothing but
// hit, ttl and a detail in Cache-Status) at one age and ttl, in whole
// seconds: a record hit many times a second has them formatted once a
// second, not at each hit. Strings are immutable, so the responses that
// share them cannot change them.
type hitStamp struct {
	ageSec, ttlSec int64
	detail         policy.Reason
	vals           [2]string // Age, Cache-Status, in text
	text           [64]byte
}

// plainHit reports whether st is a plain hit's status, and its ttl in
// whole seconds as Cache-Status gives it.
func plainHit(st status) (ttlSec int64, ok bool) {
	if !st.hit || st.fwd != "" || st.fwdStatus != 0 || st.stored || st.collapsed || st.noTTL {
		return 0, false
	}
	return int64(st.ttl.Round(time.Second) / time.Second), true
}

// stamped returns the Age and Cache-Status values of st at ageSec: d's
// last when they are those, else new ones, kept as d's last. It returns
// nil when d is nil or st is not a plain hit's.
func (d *decodedRec) stamped(st status, ageSec int64) *hitStamp {
	if d == nil {
		return nil
	}
	ttlSec, ok := plainHit(st)
	if !ok {
		return nil
	}
	if m := d.last.Load(); m != nil && m.ageSec == ageSec && m.ttlSec == ttlSec && m.detail == st.detail {
		return m
	}
	m := &hitStamp{ageSec: ageSec, ttlSec: ttlSec, detail: st.detail}
	// Values longer than text (a long detail) go to an array of their
	// own, which nothing writes again either.
	m.vals = formatStamp(m.text[:0], st, ageSec)
	d.last.Store(m)
	return m
}

// rec returns the decoded record.
func (d *decodedRec) rec() *models.Response { return d.prep.Record() }

// newDecodedRec prepares rec for its hits.
func newDecodedRec(pol *policy.Policy, rec *models.Response) *decodedRec {
	d := &decodedRec{prep: pol.Prepare(rec), names: make([]string, 0, len(rec.Header)), vals: make([][]string, 0, len(rec.Header))}
	for name, vv := range rec.Header {
		if name == "Age" {
			continue
		}
		d.cacheStatus = d.cacheStatus || name == "Cache-Status"
		d.names = append(d.names, name)
		d.vals = append(d.vals, vv)
		d.nvals += len(vv)
	}
	return d
}

// cloneHeader copies the record's header (without Age) as the package's
// cloneHeader does, reading the lists instead of the map. The values go
// into spare when they fit (the response's own allocation), else into an
// array of their own.
func (d *decodedRec) cloneHeader(spare []string) http.Header {
	sv := spare[:d.nvals:d.nvals]
	if d.nvals > len(spare) {
		sv = make([]string, d.nvals)
	}
	h := make(http.Header, len(d.names)+2)
	for i, name := range d.names {
		n := copy(sv, d.vals[i])
		h[name] = sv[:n:n]
		sv = sv[n:]
	}
	return h
}
