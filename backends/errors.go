package backends

import (
	"errors"
	"strconv"
)

// ErrNotFound is returned (possibly wrapped) by Backend.Get on a miss or an
// expired value.
var ErrNotFound = errors.New("cachedhttp/backends: not found")

// ErrClosed is returned (possibly wrapped) by every Backend method called
// after Close.
var ErrClosed = errors.New("cachedhttp/backends: backend is closed")

// ErrTooLarge is returned (possibly wrapped) by Backend.Set when a value is
// larger than the store can hold even after chunking. Nothing is stored.
var ErrTooLarge = errors.New("cachedhttp/backends: value too large for this store")

// ErrUnknownScheme is returned by Open for a DSN whose scheme no imported
// backend package registered.
var ErrUnknownScheme = errors.New("cachedhttp/backends: unknown DSN scheme")

// ErrNotInteger is returned (possibly wrapped) by Incrementer.Incr when the
// stored value is not a decimal int64 or the result would overflow int64.
// Nothing is changed.
var ErrNotInteger = errors.New("cachedhttp/backends: value is not a decimal int64 or the result overflows")

// ErrCorrupt is returned (possibly wrapped) for a stored entry the backend
// holds but cannot parse (a damaged record): yielded by Backend.Scan with
// the entry's key, iteration going on; and by Backend.Get, which deletes
// the entry where it can and then matches ErrNotFound too, so a caller that
// only knows misses sees one.
var ErrCorrupt = errors.New("cachedhttp/backends: stored entry is damaged")

// NotFound returns the error a Backend.Get of op ("bbolt get") returns for
// key on a miss: it matches ErrNotFound and reads like a wrapped one
// (`bbolt get "KEY": cachedhttp/backends: not found`), but is formatted only
// when its message is asked for. A miss is the common answer of a cache, and
// its caller usually only asks errors.Is(err, ErrNotFound).
func NotFound(op, key string) error { return &notFoundError{op: op, key: key} }

type notFoundError struct{ op, key string }

func (e *notFoundError) Error() string {
	return e.op + " " + strconv.Quote(e.key) + ": " + ErrNotFound.Error()
}

func (e *notFoundError) Unwrap() error { return ErrNotFound }
