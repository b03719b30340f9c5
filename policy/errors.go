package policy

import "errors"

// ErrInvalidGlob is returned, wrapped with the pattern and what is wrong
// with it, by ValidateGlob for a pattern of the glob dialect (glob.go) that
// cannot match anything as written: empty, an unterminated "[" class, or a
// reversed range such as "[z-a]". A Rule with such a Glob never matches.
var ErrInvalidGlob = errors.New("invalid glob pattern")
