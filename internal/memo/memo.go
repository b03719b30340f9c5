// Package memo holds Table, a small fixed-size memo of values computed from
// strings, for the hot paths that see the same input again and again: the
// dates and Cache-Control values of stored responses (policy), the keys of
// the URLs a program asks for repeatedly (keys), and the keys of whole
// requests a Transport answers from storage (cachedhttp).
//
// An input is a string; its value is computed from it alone (a pure
// function), so an entry that holds exactly the input may answer for it.
// A Table never grows and is read and written without locks.
package memo

import (
	"hash/maphash"
	"strings"
	"sync/atomic"
)

// Table remembers the values of the inputs put last. Each input belongs to
// one set of two ways, chosen by a number the caller gives with it (Sum, or
// a cheaper one of its own); a new entry goes into way 0 and moves the one
// there to way 1, so the two inputs of a set used last both stay. An entry
// answers only for exactly its own input. Values are returned by copy: V
// must hold nothing a caller could change in place.
//
// A Table made with admit keeps an input the second time it is put: the
// first time only its number is noted, so that a stream of inputs each
// seen once (misses, a crawl) costs no allocation and evicts nothing.
type Table[V any] struct {
	seed maphash.Seed
	seen []atomic.Uint64 // nil without admit
	sets [][2]atomic.Pointer[entry[V]]
}

type entry[V any] struct {
	in  string
	val V
}

// New returns an empty Table of 2×sets entries (sets is rounded up to a
// power of two, at least 1). With admit it keeps an input at its second
// Put, and notes four times as many inputs seen once. An entry costs about
// its input and value plus 64 bytes.
func New[V any](sets int, admit bool) *Table[V] {
	n := 1
	for n < sets {
		n <<= 1
	}
	t := &Table[V]{seed: maphash.MakeSeed(), sets: make([][2]atomic.Pointer[entry[V]], n)}
	if admit {
		t.seen = make([]atomic.Uint64, 4*n)
	}
	return t
}

// Sum returns a number for in that spreads inputs over the sets, for
// callers without a cheaper one.
func (t *Table[V]) Sum(in string) uint64 { return maphash.String(t.seed, in) }

// Get returns the value kept for in, whose number is h.
func (t *Table[V]) Get(h uint64, in string) (V, bool) {
	ways := &t.sets[h&uint64(len(t.sets)-1)]
	for i := range ways {
		if e := ways[i].Load(); e != nil && e.in == in {
			return e.val, true
		}
	}
	var zero V
	return zero, false
}

// Put keeps val for in, whose number is h (with admit: if in was put
// before, else it notes that it has been). It keeps a copy of in, which may
// be part of a larger string the table must not keep alive, or bytes the
// caller will change.
func (t *Table[V]) Put(h uint64, in string, val V) {
	if t.seen != nil {
		seen := &t.seen[(h>>32)&uint64(len(t.seen)-1)]
		if seen.Load() != h {
			seen.Store(h)
			return
		}
	}
	ways := &t.sets[h&uint64(len(t.sets)-1)]
	if first := ways[0].Swap(&entry[V]{in: strings.Clone(in), val: val}); first != nil {
		ways[1].Store(first)
	}
}

// Sets returns the number of sets (a power of two): inputs whose numbers
// agree modulo it share a set.
func (t *Table[V]) Sets() int { return len(t.sets) }

// Entries calls f with the input and value of each entry kept, for tests
// and diagnostics. Entries replaced meanwhile may or may not be seen.
func (t *Table[V]) Entries(f func(in string, val V)) {
	for i := range t.sets {
		for w := range t.sets[i] {
			if e := t.sets[i][w].Load(); e != nil {
				f(e.in, e.val)
			}
		}
	}
}
