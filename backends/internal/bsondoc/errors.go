package bsondoc

import "errors"

// ErrStop, returned by the function given to Find, ends the query early; Find
// then returns nil.
var ErrStop = errors.New("stop reading documents")
