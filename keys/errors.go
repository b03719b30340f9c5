package keys

import "errors"

// ErrNotAbsolute is returned by NormalizeURL for a URL without a scheme or a
// host: cache keys are made from absolute URLs only.
var ErrNotAbsolute = errors.New("keys: URL is not absolute")
