package faultproxy

import "errors"

// ErrClosed is returned by a Proxy's methods after Close.
var ErrClosed = errors.New("faultproxy: proxy closed")
