package policy

import (
	"strings"
	"sync/atomic"
)

// recent remembers what was parsed from the strings read last, for the
// parsers that see the same text again and again: the dates of a stored
// response (date.go) and its Cache-Control (cachecontrol.go), read at each
// lookup, at revalidation and when it is served. A string belongs to one
// set of two ways, chosen by its parser from a few of its bytes. A string
// parsed anew goes into way 0 and moves the entry there to way 1, so the
// two strings of a set used last both stay (a record's Date and
// Last-Modified that share a set do not evict each other). The table never
// grows, is read and written without locks, and an entry answers only for
// exactly its own string. Values are returned by copy: T must hold nothing
// a caller could change in place.
type recent[T any] struct {
	sets [16][2]atomic.Pointer[recentEntry[T]]
}

// recentEntry is one entry of a recent table.
type recentEntry[T any] struct {
	s string
	v T
}

// get returns the value remembered for s in set (any int: it is reduced to
// the table's size).
func (r *recent[T]) get(set int, s string) (T, bool) {
	ways := &r.sets[set&(len(r.sets)-1)]
	for i := range ways {
		if e := ways[i].Load(); e != nil && e.s == s {
			return e.v, true
		}
	}
	var zero T
	return zero, false
}

// put remembers v for s in set. It keeps a copy of s: s may be part of a
// larger string (a decoded record) that the table must not keep alive.
func (r *recent[T]) put(set int, s string, v T) {
	ways := &r.sets[set&(len(r.sets)-1)]
	first := ways[0].Swap(&recentEntry[T]{s: strings.Clone(s), v: v})
	if first != nil {
		ways[1].Store(first)
	}
}
