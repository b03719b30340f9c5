package cachedhttp

import (
	"bytes"
	"hash/maphash"
	"sync"
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
	// Prepared, its lists (40 bytes a field) and its last hitStamp.
	size := int64(len(key)+len(data)+256) + int64(unsafe.Sizeof(decodedRec{})+unsafe.Sizeof(policy.Prepared{})+unsafe.Sizeof(hitStamp{})) + int64(len(rec.Header))*40
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
