package gridfs

import (
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"

	"github.com/cachedhttp/cachedhttp/backends/internal/bsondoc"
)

// maxLength bounds the length a files document may claim (1 TiB), so that
// a corrupt or foreign document cannot overflow the chunk arithmetic.
const maxLength = 1 << 40

// errBadFile reports a files or chunks document this package cannot use.
var errBadFile = errors.New("malformed GridFS document")

// file is a files document as this package reads it.
type file struct {
	ID        primitive.ObjectID
	Filename  string
	Key       string
	Expires   time.Time // zero: never
	Length    int64
	ChunkSize int64
}

// expired reports whether f has expired at now.
func (f file) expired(now time.Time) bool {
	return !f.Expires.IsZero() && !now.Before(f.Expires)
}

// chunks returns how many chunks f has.
func (f file) chunks() int64 {
	if f.Length == 0 {
		return 0
	}
	return (f.Length + f.ChunkSize - 1) / f.ChunkSize
}

// decodeFile decodes a files document written by this package (or Scan's
// projection of one, which has no _id requirement and no chunkSize).
func decodeFile(raw bson.Raw) (file, error) {
	var f file
	if err := bsondoc.Validate(raw); err != nil {
		return f, fmt.Errorf("%w: %w", errBadFile, err)
	}
	if v, err := raw.LookupErr("_id"); err == nil {
		f.ID, _ = v.ObjectIDOK()
	}
	name, ok := raw.Lookup("filename").StringValueOK()
	if !ok {
		return f, fmt.Errorf("%w: no filename", errBadFile)
	}
	f.Filename = name
	n, ok := raw.Lookup("length").AsInt64OK()
	if !ok || n < 0 || n > maxLength {
		return f, fmt.Errorf("%w: bad length", errBadFile)
	}
	f.Length = n
	if v, err := raw.LookupErr("chunkSize"); err == nil {
		cs, ok := v.AsInt64OK()
		if !ok || cs < 1 || cs > MaxChunkSize {
			return f, fmt.Errorf("%w: bad chunkSize", errBadFile)
		}
		f.ChunkSize = cs
	}
	meta, ok := raw.Lookup("metadata").DocumentOK()
	if !ok {
		return f, fmt.Errorf("%w: no metadata", errBadFile)
	}
	_, key, ok := meta.Lookup("key").BinaryOK()
	if !ok {
		return f, fmt.Errorf("%w: no binary metadata.key", errBadFile)
	}
	f.Key = string(key)
	if v, err := meta.LookupErr("expires"); err == nil {
		ms, ok := v.DateTimeOK()
		if !ok {
			return f, fmt.Errorf("%w: metadata.expires is not a date", errBadFile)
		}
		f.Expires = time.UnixMilli(ms)
	}
	return f, nil
}

// assembler checks and joins the chunks of a file, read in order of n.
type assembler struct {
	f    file
	next int64
	buf  []byte
}

func newAssembler(f file) *assembler {
	return &assembler{f: f}
}

// add appends the next chunk, which must have the expected index and size.
func (a *assembler) add(raw bson.Raw) error {
	if a.f.ChunkSize < 1 {
		return fmt.Errorf("%w: file has data but no chunkSize", errBadFile)
	}
	if err := bsondoc.Validate(raw); err != nil {
		return fmt.Errorf("%w: chunk: %w", errBadFile, err)
	}
	n, ok := raw.Lookup("n").AsInt64OK()
	if !ok || n != a.next {
		return fmt.Errorf("chunk %d of %d is missing", a.next, a.f.chunks())
	}
	_, data, ok := raw.Lookup("data").BinaryOK()
	if !ok {
		return fmt.Errorf("%w: chunk %d has no binary data", errBadFile, n)
	}
	want := min(a.f.ChunkSize, a.f.Length-n*a.f.ChunkSize)
	if int64(len(data)) != want {
		return fmt.Errorf("chunk %d has %d bytes, want %d", n, len(data), want)
	}
	if a.buf == nil {
		// Allocate once the first chunk proved the file real, and not beyond
		// 64 MiB on the word of a document: append grows the rest.
		a.buf = make([]byte, 0, min(a.f.Length, 64<<20))
	}
	a.buf = append(a.buf, data...)
	a.next++
	return nil
}

// value returns the file's bytes once every chunk was added.
func (a *assembler) value() ([]byte, error) {
	if a.next != a.f.chunks() || int64(len(a.buf)) != a.f.Length {
		return nil, fmt.Errorf("file has %d of %d chunks (%d of %d bytes)", a.next, a.f.chunks(), len(a.buf), a.f.Length)
	}
	if a.buf == nil {
		return []byte{}, nil
	}
	return a.buf, nil
}
