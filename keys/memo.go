package keys

import (
	"hash/maphash"
	"sync/atomic"
)

// maxMemoInput bounds the hash inputs keyMemo keeps: a method, a URL of a
// few hundred bytes and a few matched header values.
const maxMemoInput = 512

// keyMemo remembers the keys of the hash inputs seen last, so that a
// request for a URL the program asked for before (a cache hit, a
// revalidation) does not hash it again: a key is the SHA-256 of its input
// and nothing else, so an input equal byte for byte has the same key. Only
// inputs without a body and without credentials are kept (create never
// offers the others), so the table holds no secret and no body.
//
// An input is kept the second time it is seen: the first time only its
// fingerprint is noted, so that a stream of new URLs (misses, a crawl)
// costs no allocation and evicts nothing. Each input belongs to one set of
// two ways; a new entry goes into way 0 and moves the one there to way 1,
// as the policy's memos do. The table never grows, is read and written
// without locks, and an entry answers only for exactly its own input.
type keyMemo struct {
	seed maphash.Seed
	seen [256]atomic.Uint64
	sets [64][2]atomic.Pointer[memoEntry]
}

type memoEntry struct {
	in  string // the hash input
	key string
}

var memo = keyMemo{seed: maphash.MakeSeed()}

// testMemoInput, when set by a test, sees each input create offers the
// memo.
var testMemoInput func(in []byte)

// sum returns the fingerprint of in, which get and put take.
func (m *keyMemo) sum(in []byte) uint64 { return maphash.Bytes(m.seed, in) }

// get returns the key kept for in (whose fingerprint is h).
func (m *keyMemo) get(h uint64, in []byte) (string, bool) {
	ways := &m.sets[h%uint64(len(m.sets))]
	for i := range ways {
		if e := ways[i].Load(); e != nil && e.in == string(in) {
			return e.key, true
		}
	}
	return "", false
}

// put keeps key for in (whose fingerprint is h) if in was seen before, or
// notes that it has been seen.
func (m *keyMemo) put(h uint64, in []byte, key string) {
	seen := &m.seen[(h>>32)%uint64(len(m.seen))]
	if seen.Load() != h {
		seen.Store(h)
		return
	}
	ways := &m.sets[h%uint64(len(m.sets))]
	if first := ways[0].Swap(&memoEntry{in: string(in), key: key}); first != nil {
		ways[1].Store(first)
	}
}
