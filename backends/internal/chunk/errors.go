package chunk

import "errors"

// ErrIncomplete is returned (wrapped) by Assembler and Head.Assemble when
// the chunks do not make the value the head describes: one is missing, has
// the wrong size, or there are too many. The value was overwritten or
// deleted while it was read (or damaged); a store reports a miss.
var ErrIncomplete = errors.New("chunks do not make the value")
