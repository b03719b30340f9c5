package bbolt

import "github.com/cachedhttp/cachedhttp/backends"

var _ backends.Versioned = (*Backend)(nil)

// Version returns the number of write transactions committed (or tried)
// since Open (backends.Versioned). bbolt holds an exclusive lock on its
// file, so no other process writes it: while Version returns the same
// number, every value is the one read before. The transport's decoded
// record cache uses it to serve a fresh record again without reading it.
func (b *Backend) Version() uint64 { return b.commits.version.Load() }
