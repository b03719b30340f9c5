package keys

import "github.com/cachedhttp/cachedhttp/internal/memo"

// maxMemoInput bounds the hash inputs keyMemo keeps: a method, a URL of a
// few hundred bytes and a few matched header values.
const maxMemoInput = 512

// keyMemo keeps the keys of the hash inputs seen last, so that a request
// for a URL the program asked for before (a cache hit, a revalidation) does
// not hash it again: a key is the SHA-256 of its input and nothing else, so
// an input equal byte for byte has the same key. Only inputs without a body
// and without credentials are offered (create never offers the others), so
// the table holds no secret and no body. An input is kept at its second
// sight (memo.Table's admit), so a stream of new URLs adds nothing to it.
var keyMemo = memo.New[string](64, true)

// testMemoInput, when set by a test, sees each input create offers the
// memo.
var testMemoInput func(in []byte)
