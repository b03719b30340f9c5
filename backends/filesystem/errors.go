package filesystem

import "errors"

// ErrCorrupt is returned (wrapped) when an entry file cannot be decoded:
// a foreign or truncated file, or one written by a newer format. Get treats
// such a file as a miss and deletes it; Sweep deletes it too.
var ErrCorrupt = errors.New("cache file is not a readable entry")
