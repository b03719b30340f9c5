package serializers

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/cachedhttp/cachedhttp/models"
)

// Codec names the encoding of a response inside a record. The zero Codec is
// not valid.
//
// Compact, Msgpack and JSON are built in. Other codecs are registered by the package
// that implements them (RegisterCodec), in the style of database/sql
// drivers, so that a program compiles only the encoders it uses: BSON lives
// in package serializers/bsoncodec, which brings in the MongoDB driver.
type Codec uint8

const (
	// Msgpack encodes a response as a fixed msgpack array, in records of
	// format version 1. It was the codec of Default before Compact;
	// pipelines of Compact read the msgpack records of the same stages, so
	// records written by earlier releases stay hits. Choose it explicitly
	// (serializer=msgpack) while programs of earlier releases, which read
	// version 1 only, share the store.
	Msgpack Codec = iota + 1
	// JSON encodes a response as indented JSON, the body as text when it is
	// valid UTF-8 and as base64 otherwise, so records can be read with cat.
	JSON
	// BSON encodes a response as a BSON document with native types (dates,
	// binary), for stores that speak BSON. Its implementation is in package
	// serializers/bsoncodec, which registers it:
	//
	//	import _ "github.com/cachedhttp/cachedhttp/serializers/bsoncodec"
	//
	// backends/mongodb, backends/gridfs and the cachedhttp command import
	// it. In a program that does not, NewPipeline(BSON), ParseCodec("bson")
	// and the DSN parameter serializer=bson return an error matching
	// ErrUnknownCodec that names the package to import, and reading a BSON
	// record is an invalid record (a miss); Inspect still describes BSON
	// records.
	BSON
	// Compact encodes a response in the binary layout of format version 2,
	// made for records that are mostly body: a 5-byte header, varint
	// lengths, common header names and values as one-byte table entries,
	// dates and numbers as varints, timestamps as deltas, and the body
	// last, so that a record is about 100 bytes longer than its body and a
	// reader returns the body as a slice of the record. It is the codec of
	// Default and Plain. FORMAT.md specifies it.
	Compact
)

// bsonPackage is the package that registers BSON, named in errors.
const bsonPackage = "github.com/cachedhttp/cachedhttp/serializers/bsoncodec"

// maxCodecNameLen bounds the name of a registered codec.
const maxCodecNameLen = 32

// Encoding is the implementation of a Codec: it turns a response into the
// innermost payload of a record, the bytes the stages then transform, and
// back. A package that implements a codec registers its Encoding with
// RegisterCodec. An Encoding must be safe for concurrent use.
type Encoding interface {
	// AppendEncode appends the encoding of r to dst and returns the
	// extended slice. It must not modify r.
	AppendEncode(dst []byte, r *models.Response) ([]byte, error)
	// Decode decodes data, a payload written by AppendEncode. The returned
	// response may share memory with data. Data comes from a store and may
	// be corrupt or hostile: Decode returns an error for anything it cannot
	// decode exactly, and must not panic. The pipeline reports the error as
	// an invalid record.
	Decode(data []byte) (*models.Response, error)
}

// codecTable is the registry of codecs. It is replaced, never modified, so
// that readers load it without locking; registration happens in init
// functions.
type codecTable struct {
	names     []string         // indexed by Codec; "" for unused values
	encodings []Encoding       // indexed by Codec; nil when not registered
	byName    map[string]Codec // every name in names
}

var (
	registerMu sync.Mutex // serializes RegisterCodec
	// codecs is initialized by its declaration rather than in init, so that
	// package-level variables that build pipelines find it ready.
	codecs = func() *atomic.Pointer[codecTable] {
		p := new(atomic.Pointer[codecTable])
		p.Store(&codecTable{
			names:     []string{"", "msgpack", "json", "bson", "compact"},
			encodings: []Encoding{nil, msgpackCodec{}, jsonCodec{}, nil, compactCodec{}},
			byName:    map[string]Codec{"msgpack": Msgpack, "json": JSON, "bson": BSON, "compact": Compact},
		})
		return p
	}()
)

// RegisterCodec makes the codec name available to NewPipeline, ParseCodec,
// FromQuery (serializer=name), PipelineFor and record headers, encoded by
// e, and returns its Codec. It is meant to be called from the init function
// of the package that implements the codec, like backends.Register: it
// panics if e is nil, if the name already has an implementation ("compact",
// "msgpack" and "json" are built in), or if the name is not 1 to 32 characters of
// a-z, 0-9 and "-", starting with a letter.
//
// A codec name is part of the stored format (FORMAT.md): records written
// with it are read only by programs that register the same name with the
// same encoding, and are invalid records (a miss) elsewhere. They are
// records of format version 1, with a text header naming the codec. "bson" is
// reserved for package serializers/bsoncodec, which registers it as BSON.
func RegisterCodec(name string, e Encoding) Codec {
	if e == nil {
		panic("cachedhttp/serializers: RegisterCodec " + name + " with a nil Encoding")
	}
	if err := checkCodecName(name); err != nil {
		panic("cachedhttp/serializers: RegisterCodec: " + err.Error())
	}
	registerMu.Lock()
	defer registerMu.Unlock()
	old := codecs.Load()
	c, known := old.byName[name]
	if known && old.encodings[c] != nil {
		panic("cachedhttp/serializers: RegisterCodec called twice for codec " + name)
	}
	t := &codecTable{
		names:     slices.Clone(old.names),
		encodings: slices.Clone(old.encodings),
		byName:    maps.Clone(old.byName),
	}
	if !known {
		if len(t.names) > 255 {
			panic("cachedhttp/serializers: RegisterCodec " + name + ": too many codecs")
		}
		c = Codec(len(t.names))
		t.names = append(t.names, name)
		t.encodings = append(t.encodings, nil)
	}
	t.encodings[c], t.byName[name] = e, c
	codecs.Store(t)
	return c
}

// checkCodecName reports whether name can be registered.
func checkCodecName(name string) error {
	if name == "" || len(name) > maxCodecNameLen {
		return fmt.Errorf("codec name %.40q: want 1 to %d characters", name, maxCodecNameLen)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case 'a' <= c && c <= 'z':
		case i > 0 && ('0' <= c && c <= '9' || c == '-'):
		default:
			return fmt.Errorf("codec name %q: want a-z, 0-9 and \"-\", starting with a letter", name)
		}
	}
	return nil
}

// Codecs returns the names of the codecs a pipeline can use, the built-in
// ones and the registered ones, in sorted order.
func Codecs() []string {
	t := codecs.Load()
	var s []string
	for c, e := range t.encodings {
		if e != nil {
			s = append(s, t.names[c])
		}
	}
	slices.Sort(s)
	return s
}

// String returns the codec's name as written in record headers: "compact",
// "msgpack", "json", "bson" or the name it was registered under.
func (c Codec) String() string {
	switch c {
	case Compact:
		return "compact"
	case Msgpack:
		return "msgpack"
	case JSON:
		return "json"
	case BSON:
		return "bson"
	}
	if t := codecs.Load(); int(c) < len(t.names) && t.names[c] != "" {
		return t.names[c]
	}
	return fmt.Sprintf("Codec(%d)", uint8(c))
}

// ParseCodec returns the codec named name: "compact", "msgpack", "json", or a
// registered codec such as "bson". A name with no implementation in this
// program returns an error matching ErrUnknownCodec; for "bson" it names the
// package to import.
func ParseCodec(name string) (Codec, error) {
	c, err := lookupCodec(name)
	if err != nil {
		return 0, fmt.Errorf("serializers: parse codec: %w", err)
	}
	return c, nil
}

// lookupCodec returns the codec named name if it has an implementation.
func lookupCodec(name string) (Codec, error) {
	c, ok := codecByName([]byte(name))
	if !ok {
		return 0, unknownCodec(name)
	}
	if _, err := c.encoding(); err != nil {
		return 0, err
	}
	return c, nil
}

// codecByName returns the codec a record header names. It knows "bson"
// whether or not BSON is registered, so Inspect describes BSON records in
// every program.
func codecByName(name []byte) (Codec, bool) {
	switch string(name) {
	case "compact":
		return Compact, true
	case "msgpack":
		return Msgpack, true
	case "json":
		return JSON, true
	case "bson":
		return BSON, true
	}
	c, ok := codecs.Load().byName[string(name)]
	return c, ok
}

// encoding returns the implementation of c, or an error matching
// ErrUnknownCodec.
func (c Codec) encoding() (Encoding, error) {
	switch c {
	case Compact:
		return compactCodec{}, nil
	case Msgpack:
		return msgpackCodec{}, nil
	case JSON:
		return jsonCodec{}, nil
	}
	if t := codecs.Load(); int(c) < len(t.encodings) && t.encodings[c] != nil {
		return t.encodings[c], nil
	}
	if c == BSON {
		return nil, fmt.Errorf("%w %q: it is not registered in this program; add import _ %q", ErrUnknownCodec, "bson", bsonPackage)
	}
	// A value no name maps to: the zero Codec or a made-up one.
	return nil, fmt.Errorf("%w: invalid codec %v", ErrUnknownCodec, c)
}

// unknownCodec is the error for a codec name nothing registered.
func unknownCodec(name string) error {
	return fmt.Errorf("%w %.40q (registered: %s)", ErrUnknownCodec, name, strings.Join(Codecs(), ", "))
}
