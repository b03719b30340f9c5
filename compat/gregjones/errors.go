package gregjones

import "errors"

// ErrInvalidRecord is returned (wrapped) by ParseRecord for bytes that are
// not a response the gregjones Transport stored, or a key that is not
// "URL" or "METHOD URL" with an absolute URL.
var ErrInvalidRecord = errors.New("gregjones: invalid record")

// ErrInvalidEnvelope is returned (wrapped) by Backend.Get for a value that
// was not written by a Backend, or was cut short (a torn write).
var ErrInvalidEnvelope = errors.New("gregjones: value is not a cachedhttp envelope")

// ErrKeysRequired is returned by OpenDisk without keys: diskcache names each
// file by the MD5 of its key, so the URLs cannot be recovered from the
// directory and must be given.
var ErrKeysRequired = errors.New("gregjones: diskcache cannot list its URLs; give the URLs to import")

// ErrUnknownSource is returned by OpenSource for a DSN that names no
// gregjones store (see IsSourceDSN).
var ErrUnknownSource = errors.New("gregjones: not a gregjones/httpcache source DSN")
