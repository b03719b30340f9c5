package chunk

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/cachedhttp/cachedhttp/backends/internal/expiry"
)

// MaxChunks bounds the chunk count a head may claim (a decoder rejects
// more), so that a corrupt or foreign head cannot make a reader allocate or
// ask for chunks without limit.
const MaxChunks = 1 << 20

// maxPrealloc bounds what an Assembler allocates before the chunks prove
// the size a head claims: a corrupt head must not allocate without limit.
const maxPrealloc = 64 << 20

// Size returns the chunk size a store's option asks for: def when the
// option is zero, and an error when the result is outside [1, max].
func Size(option, def, max int) (int, error) {
	size := option
	if size == 0 {
		size = def
	}
	if size < 1 || size > max {
		return 0, fmt.Errorf("chunk size %d out of range [1, %d]", size, max)
	}
	return size, nil
}

// Count returns how many chunks of size bytes hold n bytes: 0 for n == 0.
// size must be positive.
func Count(n, size int) int {
	return (n + size - 1) / size
}

// Split cuts value into chunks of size bytes, the last one possibly
// shorter. The chunks alias value. An empty value has no chunks; size must
// be positive.
func Split(value []byte, size int) [][]byte {
	parts := make([][]byte, Count(len(value), size))
	for i := range parts {
		parts[i] = value[i*size : min((i+1)*size, len(value))]
	}
	return parts
}

// NewGeneration returns a random generation id: 24 hex digits.
func NewGeneration() string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails since Go 1.24
	return hex.EncodeToString(b[:])
}

// Ref names the chunks of one value: their generation and how many there
// are. The zero Ref names none (an inline value).
type Ref struct {
	Gen    string
	Chunks int
}

// Names returns the record names of r's chunks, in order, as the store
// names chunk i of a generation.
func (r Ref) Names(name func(gen string, i int) string) []string {
	names := make([]string, max(r.Chunks, 0))
	for i := range names {
		names[i] = name(r.Gen, i)
	}
	return names
}

// Head is a key's head record as a store reads it: the key, the value
// inline or the chunks that hold it, its size and expiry.
type Head struct {
	Key     string
	Value   []byte    // the value, when inline (Chunks == 0)
	Expires time.Time // zero: never
	Size    int64     // the value's length
	Gen     string    // chunked values only: the chunks' generation
	Chunks  int       // 0: the value is inline
	// ChunkSize is the length of every chunk but the last, when the store
	// records it (then each chunk's length is checked); 0 when it does not
	// (then only their total is).
	ChunkSize int64
}

// Expired reports whether h has expired at now.
func (h Head) Expired(now time.Time) bool {
	return expiry.Passed(h.Expires, now)
}

// Ref returns the chunks h names.
func (h Head) Ref() Ref {
	return Ref{Gen: h.Gen, Chunks: h.Chunks}
}

// Assemble joins h's chunks, which part returns by index (false: missing),
// into the value. The error matches ErrIncomplete when the chunks do not
// make the value h describes.
func (h Head) Assemble(part func(i int) ([]byte, bool)) ([]byte, error) {
	a := h.Assembler()
	for i := range h.Chunks {
		p, ok := part(i)
		if !ok {
			return nil, fmt.Errorf("%w: chunk %d of %d (generation %s) is missing", ErrIncomplete, i, h.Chunks, h.Gen)
		}
		if err := a.Add(i, p); err != nil {
			return nil, err
		}
	}
	return a.Value()
}

// Assembler returns an Assembler for h's chunks.
func (h Head) Assembler() *Assembler {
	return &Assembler{h: h}
}

// Assembler joins the chunks of one value as they arrive, in order,
// checking each against the head: for a store that streams them (a cursor
// sorted by index).
type Assembler struct {
	h    Head
	next int
	buf  []byte
}

// Add appends chunk i, which must be the next one, and of the head's chunk
// size (the rest of the value, for the last) when the head records it.
func (a *Assembler) Add(i int, p []byte) error {
	h := a.h
	switch {
	case a.next >= h.Chunks:
		return fmt.Errorf("%w: chunk %d beyond the %d the head names", ErrIncomplete, i, h.Chunks)
	case i != a.next:
		return fmt.Errorf("%w: chunk %d of %d is missing", ErrIncomplete, a.next, h.Chunks)
	case h.ChunkSize > 0:
		if want := min(h.ChunkSize, h.Size-int64(i)*h.ChunkSize); int64(len(p)) != want {
			return fmt.Errorf("%w: chunk %d has %d bytes, want %d", ErrIncomplete, i, len(p), want)
		}
	case int64(len(a.buf))+int64(len(p)) > h.Size:
		return fmt.Errorf("%w: chunks hold more than the %d bytes the head says", ErrIncomplete, h.Size)
	}
	if a.buf == nil {
		// Allocate once a chunk arrived, and not beyond maxPrealloc on the
		// word of a head: append grows the rest.
		a.buf = make([]byte, 0, min(h.Size, maxPrealloc))
	}
	a.buf = append(a.buf, p...)
	a.next++
	return nil
}

// Value returns the joined value once every chunk was added.
func (a *Assembler) Value() ([]byte, error) {
	if a.next != a.h.Chunks || int64(len(a.buf)) != a.h.Size {
		return nil, fmt.Errorf("%w: %d of %d chunks hold %d of %d bytes", ErrIncomplete, a.next, a.h.Chunks, len(a.buf), a.h.Size)
	}
	if a.buf == nil {
		return []byte{}, nil
	}
	return a.buf, nil
}
