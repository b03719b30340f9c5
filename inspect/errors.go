package inspect

import "errors"

// ErrNilCache is returned by New when given no Cache.
var ErrNilCache = errors.New("inspect: nil cache")

// Reasons a delete or purge request is refused with 403 Forbidden; the
// refusal page names the one that applied.
var (
	// ErrReadOnly: the Handler was made with Options.ReadOnly.
	ErrReadOnly = errors.New("inspect: read-only inspector")
	// ErrCrossOrigin: Sec-Fetch-Site or Origin shows a request from
	// another origin.
	ErrCrossOrigin = errors.New("inspect: request from another origin")
	// ErrBadToken: the anti-CSRF token is missing or does not match the
	// browser's cookie.
	ErrBadToken = errors.New("inspect: missing or invalid anti-CSRF token")
)
