package cachedhttp

import (
	"bytes"
	"hash/maphash"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/cachedhttp/cachedhttp/models"
	"github.com/cachedhttp/cachedhttp/policy"
)

// recCache remembers recently decoded records so that a hit does not decode
// (decompress, decrypt, verify) the same bytes again: when the backend
// returns exactly the bytes a record was decoded from, the record is reused.
// Backends that hand out the bytes they store (memory) are recognised by
// pointer identity at no cost; for the others (bbolt copies out of its map,
// servers send bytes) the bytes are compared, which is far cheaper than
// decoding them. Equal bytes always decode to the same record, so this
// changes no result; an entry holds its bytes, so their memory cannot be
// reused for another value while the entry exists. Records are never
// modified once decoded: serving clones what it changes.
//
// The cache is bounded by bytes; records larger than a quarter of a shard's
// budget are not kept.
type recCache struct {
	seed   maphash.Seed
	budget int64          // per shard
	pol    *policy.Policy // prepares each record for Lookup
	shards [16]recShard
}

// decodedRec is a decoded record with what its hits read from it alone,
// prepared once when it is decoded: the policy's inputs (policy.Prepared,
// which holds the record) and its header's fields as two lists, which serve
// copies without iterating the stored map. Like the record, it is never
// modified once made.
type decodedRec struct {
	prep  policy.Prepared
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
	d := &decodedRec{names: make([]string, 0, len(rec.Header)), vals: make([][]string, 0, len(rec.Header))}
	pol.PrepareInto(&d.prep, rec)
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

type recShard struct {
	mu    sync.Mutex
	m     map[string]recEntry
	bytes int64
	_     [40]byte // a cache line of its own: hits on two CPUs lock two shards without sharing one
}

type recEntry struct {
	data []byte
	dec  *decodedRec
	size int64
	// ver is the backend's write count (backends.Versioned) read before
	// the Get that returned data, when versioned: while the backend still
	// reports ver, data is still what it stores under this key.
	ver       uint64
	versioned bool
}

func newRecCache(maxBytes int64, pol *policy.Policy) *recCache {
	c := &recCache{seed: maphash.MakeSeed(), budget: maxBytes / 16, pol: pol}
	for i := range c.shards {
		c.shards[i].m = make(map[string]recEntry)
	}
	return c
}

func (c *recCache) shard(key string) *recShard {
	return &c.shards[maphash.String(c.seed, key)%uint64(len(c.shards))]
}

// get returns the record decoded from bytes equal to data, or nil. When
// versioned, ver (read before the Get that returned data) is remembered with
// the entry, for current.
func (c *recCache) get(key string, data []byte, ver uint64, versioned bool) *decodedRec {
	s := c.shard(key)
	s.mu.Lock()
	e, ok := s.m[key]
	s.mu.Unlock()
	if !ok || len(e.data) != len(data) || len(data) == 0 {
		return nil
	}
	// The bytes are compared outside the lock (a record may be large).
	if unsafe.SliceData(e.data) != unsafe.SliceData(data) && !bytes.Equal(e.data, data) {
		return nil
	}
	if versioned && (!e.versioned || e.ver != ver) {
		s.mu.Lock()
		if cur, ok := s.m[key]; ok && cur.dec == e.dec {
			cur.ver, cur.versioned = ver, true
			s.m[key] = cur
		}
		s.mu.Unlock()
	}
	return e.dec
}

// current returns the record kept for key when the backend has not written
// anything since it was read (its write count is still ver), or nil. The
// caller checks that the record is not past its backend lifetime.
func (c *recCache) current(key string, ver uint64) *decodedRec {
	s := c.shard(key)
	s.mu.Lock()
	e, ok := s.m[key]
	s.mu.Unlock()
	if ok && e.versioned && e.ver == ver {
		return e.dec
	}
	return nil
}

// put remembers rec as the decoding of data (read at the backend's write
// count ver, when versioned), prepared for its hits, and returns it so
// prepared; nil when rec is too large to keep.
func (c *recCache) put(key string, data []byte, rec *models.Response, ver uint64, versioned bool) *decodedRec {
	// The entry's own structures: the map slot (256), the decodedRec, its
	// lists (40 bytes a field) and its last hitStamp.
	size := int64(len(key)+len(data)+256) + int64(unsafe.Sizeof(decodedRec{})+unsafe.Sizeof(hitStamp{})) + int64(len(rec.Header))*40
	if !sameArray(data, rec.Body) {
		size += int64(len(rec.Body))
	}
	if size > c.budget/4 {
		return nil
	}
	dec := newDecodedRec(c.pol, rec)
	s := c.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.m[key]; ok {
		s.bytes -= old.size
		delete(s.m, key)
	}
	for s.bytes+size > c.budget {
		// Evict arbitrary entries: map iteration order is random enough
		// for a small cache of hot records.
		for k, e := range s.m {
			s.bytes -= e.size
			delete(s.m, k)
			break
		}
	}
	s.m[key] = recEntry{data: data, dec: dec, size: size, ver: ver, versioned: versioned}
	s.bytes += size
	return dec
}

// sameArray reports whether b lies inside data's memory (a body that
// aliases its record costs nothing extra).
func sameArray(data, b []byte) bool {
	if len(b) == 0 || len(data) == 0 {
		return true
	}
	start := uintptr(unsafe.Pointer(unsafe.SliceData(data)))
	p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	return p >= start && p < start+uintptr(len(data))
}
