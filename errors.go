package cachedhttp

import "errors"

// Errors returned by a Transport and its Session. Backend errors on the
// request path never reach the caller (the request goes to the origin as if
// uncached); these are the errors of the maintenance API and of options.

// ErrClosed is returned by the maintenance methods of a Transport (and its
// Session) called after Close. Requests made after Close are not refused:
// they pass through to the wrapped transport uncached.
var ErrClosed = errors.New("cachedhttp: transport is closed")

// ErrBodyTooLarge is returned by Transport.Key for a request whose body is
// larger than the WithMaxBodySize bound: such a request is never cached, so
// it has no key.
var ErrBodyTooLarge = errors.New("cachedhttp: request body too large to take part in a key")

// ErrSessionOption is returned by NewTransport when given an option that only
// a Session can honour (WithSessionPath).
var ErrSessionOption = errors.New("cachedhttp: option applies to NewSession only")

// ErrReadOnly is returned by the maintenance methods that would change the
// store (Delete, DeleteURL, DeleteExpired, Clear, ...) of a Transport made
// WithReadOnly.
var ErrReadOnly = errors.New("cachedhttp: cache is read-only")

// ErrInvalidOption is matched by the error NewTransport and NewSession return
// for an option given a value it cannot take (a negative size, a nil clock,
// a lower-case method); the error names the option and the value.
var ErrInvalidOption = errors.New("cachedhttp: invalid option")
