package kv

import (
	"errors"

	"github.com/cachedhttp/cachedhttp/backends"
)

// ErrNotFound is returned (wrapped) by Get and its generic form when the key
// holds no value or it expired. It is backends.ErrNotFound itself, so
// errors.Is matches either name.
var ErrNotFound = backends.ErrNotFound

// ErrNotInteger is returned (wrapped) by Inc and Dec when the stored value
// is not a decimal int64 or the result would overflow; nothing is changed.
// It is backends.ErrNotInteger itself.
var ErrNotInteger = backends.ErrNotInteger

// ErrDecode is returned (wrapped) by Get when a stored value does not
// decode into the destination: written by another codec or as another
// type.
var ErrDecode = errors.New("kv: value does not decode into the destination")

// ErrBadTemplate is returned (wrapped) by ParseTemplate and Memoize for a
// key template that does not parse or names a field the argument type
// lacks, and by Template.Key for an argument it cannot format (a nil
// pointer on the way to a field).
var ErrBadTemplate = errors.New("kv: bad key template")

// ErrUnknownCache is returned (wrapped) by Caches.Cache for a name that
// OpenAll was not given.
var ErrUnknownCache = errors.New("kv: no cache of that name")
