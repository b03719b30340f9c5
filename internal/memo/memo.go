// Package memo holds Table, a small fixed-size memo of strings computed from
// byte strings, for the hot paths that see the same input again and again:
// the keys of the URLs a program asks for repeatedly (keys), and the keys of
// whole requests a Transport answers from storage (cachedhttp).
//
// An input is a byte string; its value is a string computed from it alone
// (a pure function), so an entry that holds exactly the input may answer for
// it. A Table never grows and is read and written without locks.
package memo

import (
	"hash/maphash"
	"sync/atomic"
)

// Table remembers the values of the inputs seen last. An input is kept the
// second time it is offered (Put): the first time only its fingerprint is
// noted, so that a stream of inputs each seen once (misses, a crawl) costs
// no allocation and evicts nothing. Each input belongs to one set of two
// ways; a new entry goes into way 0 and moves the one there to way 1, so the
// two inputs of a set used last both stay. An entry answers only for
// exactly its own input. Make one with New.
type Table struct {
	seed maphash.Seed
	seen []atomic.Uint64
	sets [][2]atomic.Pointer[entry]
}

type entry struct {
	in  string
	val string
}

// New returns an empty Table of 2×sets entries (sets is rounded up to a
// power of two, at least 1), which notes four times as many inputs seen
// once. An entry costs about its input and value plus 64 bytes.
func New(sets int) *Table {
	n := 1
	for n < sets {
		n <<= 1
	}
	return &Table{seed: maphash.MakeSeed(), seen: make([]atomic.Uint64, 4*n), sets: make([][2]atomic.Pointer[entry], n)}
}

// Sum returns the fingerprint of in, which Get and Put take.
func (t *Table) Sum(in []byte) uint64 { return maphash.Bytes(t.seed, in) }

// Get returns the value kept for in (whose fingerprint is h).
func (t *Table) Get(h uint64, in []byte) (string, bool) {
	ways := &t.sets[h&uint64(len(t.sets)-1)]
	for i := range ways {
		if e := ways[i].Load(); e != nil && e.in == string(in) {
			return e.val, true
		}
	}
	return "", false
}

// Put keeps val for in (whose fingerprint is h) if in was offered before,
// or notes that it has been. It copies in; val is kept as it is.
func (t *Table) Put(h uint64, in []byte, val string) {
	seen := &t.seen[(h>>32)&uint64(len(t.seen)-1)]
	if seen.Load() != h {
		seen.Store(h)
		return
	}
	ways := &t.sets[h&uint64(len(t.sets)-1)]
	if first := ways[0].Swap(&entry{in: string(in), val: val}); first != nil {
		ways[1].Store(first)
	}
}

// Entries calls f with the input and value of each entry kept, for tests
// and diagnostics. Entries replaced meanwhile may or may not be seen.
func (t *Table) Entries(f func(in, val string)) {
	for i := range t.sets {
		for w := range t.sets[i] {
			if e := t.sets[i][w].Load(); e != nil {
				f(e.in, e.val)
			}
		}
	}
}
