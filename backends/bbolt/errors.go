package bbolt

import "errors"

// ErrLocked is returned (wrapped) by Open when another Backend, in this or
// another process, holds the file open.
var ErrLocked = errors.New("cache file is locked by another process or handle")

// ErrCorrupt is returned (wrapped) when a record or the file's metadata
// cannot be decoded, or the file was written by a newer format.
var ErrCorrupt = errors.New("cache file holds a record this version cannot read")
