package gridfs

import (
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"

	"github.com/cachedhttp/cachedhttp/backends/internal/bsondoc"
	"github.com/cachedhttp/cachedhttp/backends/internal/chunk"
	"github.com/cachedhttp/cachedhttp/backends/internal/expiry"
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
	return expiry.Passed(f.Expires, now)
}

// chunks returns how many chunks f has.
func (f file) chunks() int {
	if f.Length == 0 {
		return 0
	}
	return chunk.Count(int(f.Length), int(f.ChunkSize))
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
	f file
	a *chunk.Assembler
}

func newAssembler(f file) *assembler {
	return &assembler{f: f, a: chunk.Head{Size: f.Length, Chunks: f.chunks(), ChunkSize: f.ChunkSize}.Assembler()}
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
	if !ok || n < 0 || n > maxLength {
		return fmt.Errorf("%w: chunk without a valid n", errBadFile)
	}
	_, data, ok := raw.Lookup("data").BinaryOK()
	if !ok {
		return fmt.Errorf("%w: chunk %d has no binary data", errBadFile, n)
	}
	return a.a.Add(int(n), data)
}

// value returns the file's bytes once every chunk was added.
func (a *assembler) value() ([]byte, error) {
	return a.a.Value()
}
