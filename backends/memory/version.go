package memory

import "github.com/cachedhttp/cachedhttp/backends"

var _ backends.Versioned = (*Backend)(nil)

// Version returns a count of the changes made to the stored values (Set,
// Add, Incr, Delete, Clear, Close, evictions, expired entries removed),
// backends.Versioned: it moves under the same lock as the change, so while
// it returns the same number every value is the one read before. No other
// process writes an in-process store. The transport's decoded-record cache
// uses it to serve a fresh record again without reading it.
func (b *Backend) Version() uint64 { return b.version.Load() }
