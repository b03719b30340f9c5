package serializers

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// The record header of format version 1 is one line of ASCII text ending in
// a line feed, so that a record written with the JSON codec reads well with
// cat and a record of any codec names itself in a hex dump:
//
//	cachedhttp v1 msgpack zstd aes-256-gcm:2026-05
//
// It is the magic word "cachedhttp", the format version, the codec and the
// stages in the order they were applied on write, separated by single spaces.
// A stage that uses a key carries the key id after a colon. Version 2
// records, written by the compact codec, have a short binary header with the
// same content (header2.go). FORMAT.md holds the grammar and the rules for
// changing it.
const (
	magic = "cachedhttp"
	// formatV1 is the version of records with a text header: those of the
	// msgpack, JSON, BSON and registered codecs.
	formatV1 = 1
	// formatV2 is the version of records with a binary header: those of
	// the compact codec.
	formatV2 = 2
	// maxHeaderLen bounds the header line, newline included.
	maxHeaderLen = 512
	// maxStages bounds the number of stages in a pipeline and a header.
	maxStages = 8
	// maxKeyIDLen bounds the length of a key id.
	maxKeyIDLen = 64
)

// Header describes a record without decoding its payload: what Inspect
// returns.
type Header struct {
	// Version is the record format version: 1 (text header) or 2
	// (binary header, compact codec).
	Version int
	// Codec is the codec that encoded the response.
	Codec Codec
	// Stages are the stages that transformed the encoded response, in the
	// order they were applied on write (the reverse of the order a reader
	// undoes them).
	Stages []StageInfo
	// Len is the length of the header in bytes, the final line feed of a
	// version 1 header included: the payload starts at data[Len:].
	Len int
}

// StageInfo describes one stage of a record.
type StageInfo struct {
	// Name is the stage name as written in the header: "zstd", "gzip",
	// "hmac-sha256" or "aes-256-gcm".
	Name string
	// KeyID is the id of the key the stage used, for the keyed stages
	// (hmac-sha256, aes-256-gcm); empty otherwise.
	KeyID string
}

// String returns the header line without its final line feed, such as
// "cachedhttp v1 msgpack zstd". A version 2 header, which is binary, is
// described in the same words: "cachedhttp v2 compact zstd".
func (h Header) String() string {
	var b strings.Builder
	b.WriteString(magic)
	b.WriteString(" v")
	b.WriteString(strconv.Itoa(h.Version))
	b.WriteByte(' ')
	b.WriteString(h.Codec.String())
	for _, s := range h.Stages {
		b.WriteByte(' ')
		b.WriteString(s.Name)
		if s.KeyID != "" {
			b.WriteByte(':')
			b.WriteString(s.KeyID)
		}
	}
	return b.String()
}

// appendTo appends the header as it is written in records: the text line
// and its line feed for version 1, the binary header for version 2.
func (h Header) appendTo(b []byte) []byte {
	if h.Version == formatV2 {
		return appendV2Header(b, h)
	}
	b = append(b, h.String()...)
	return append(b, '\n')
}

// Inspect describes the record data without decoding its payload: the
// format version, the codec and the stages with their key ids, from the
// text header of a version 1 record or the binary header of a version 2
// record. It checks the header only; a record whose payload is corrupt
// still inspects cleanly. A header that is not well formed, or names an
// unknown version, codec or stage, returns an error matching
// ErrInvalidRecord.
func Inspect(data []byte) (Header, error) {
	var raw rawHeader
	if err := parseAnyHeader(data, &raw); err != nil {
		return Header{}, err
	}
	h := Header{Version: raw.version, Codec: raw.codec, Len: raw.len}
	h.Stages = make([]StageInfo, raw.n)
	for i := range raw.n {
		h.Stages[i] = StageInfo{Name: raw.stages[i].kind.String(), KeyID: string(raw.stages[i].param)}
	}
	return h, nil
}

// rawHeader is a parsed header whose key ids alias the record, so that the
// read path parses without allocating.
type rawHeader struct {
	version int
	codec   Codec
	n       int
	stages  [maxStages]rawStage
	len     int // header length, line feed included
}

type rawStage struct {
	kind  stageKind
	param []byte // key id, nil for stages without one
}

// invalid returns an error matching ErrInvalidRecord that gives the reason.
func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidRecord, fmt.Sprintf(format, args...))
}

// parseAnyHeader parses the header of a record of either version: the
// first byte tells them apart.
func parseAnyHeader(data []byte, h *rawHeader) error {
	if isV2(data) {
		return parseV2Header(data, h)
	}
	return parseHeader(data, h)
}

// parseHeader parses the version 1 header at the start of data into h. It
// accepts exactly the grammar of FORMAT.md and nothing else.
func parseHeader(data []byte, h *rawHeader) error {
	if len(data) < len(magic) || string(data[:len(magic)]) != magic {
		return invalid("no record header (foreign or truncated data)")
	}
	end := bytes.IndexByte(data[:min(len(data), maxHeaderLen)], '\n')
	if end < 0 {
		if len(data) < maxHeaderLen {
			return invalid("truncated record header")
		}
		return invalid("record header longer than %d bytes", maxHeaderLen)
	}
	h.len = end + 1
	line := data[len(magic):end]
	// Version.
	field, line, ok := nextField(line)
	if !ok || len(field) < 2 || field[0] != 'v' {
		return invalid("malformed record header: missing format version")
	}
	if string(field) != "v1" {
		return invalid("unknown record format version %.20q", field)
	}
	// Codec.
	field, line, ok = nextField(line)
	if !ok {
		return invalid("malformed record header: missing codec")
	}
	c, found := codecByName(field)
	if !found || c == Compact { // compact records are version 2 only
		return invalid("unknown codec %.20q", field)
	}
	h.version, h.codec = formatV1, c
	// Stages.
	h.n = 0
	for len(line) > 0 {
		field, line, ok = nextField(line)
		if !ok {
			return invalid("malformed record header: empty stage")
		}
		if h.n == maxStages {
			return invalid("record header names more than %d stages", maxStages)
		}
		name, param, hasParam := bytes.Cut(field, []byte{':'})
		k, found := stageKindByName(name)
		if !found {
			return invalid("unknown stage %.20q", name)
		}
		if k.keyed() != hasParam {
			if hasParam {
				return invalid("stage %s takes no key id", k)
			}
			return invalid("stage %s without a key id", k)
		}
		if hasParam {
			if err := checkKeyID(string(param)); err != nil {
				return invalid("stage %s: %v", k, err)
			}
		} else {
			param = nil
		}
		h.stages[h.n] = rawStage{kind: k, param: param}
		h.n++
	}
	return nil
}

// nextField splits a leading " field" off line. It reports false when line
// does not start with a space followed by a non-empty field.
func nextField(line []byte) (field, rest []byte, ok bool) {
	if len(line) < 2 || line[0] != ' ' {
		return nil, nil, false
	}
	line = line[1:]
	i := bytes.IndexByte(line, ' ')
	if i < 0 {
		return line, nil, true
	}
	if i == 0 {
		return nil, nil, false
	}
	return line[:i], line[i:], true
}

// checkKeyID reports whether id is a valid key id: 1 to 64 characters from
// A-Z a-z 0-9 and "._-".
func checkKeyID(id string) error {
	if id == "" {
		return fmt.Errorf("empty key id")
	}
	if len(id) > maxKeyIDLen {
		return fmt.Errorf("key id longer than %d characters", maxKeyIDLen)
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '.', c == '_', c == '-':
		default:
			return fmt.Errorf("key id %.70q: character %q is not one of A-Z a-z 0-9 . _ -", id, c)
		}
	}
	return nil
}

// PipelineFor returns a pipeline that reads records with header h, for
// tools that meet records of several pipelines (a CLI show or migrate
// command): Inspect a record, then decode it with PipelineFor. Compression
// stages get their default level and limit; keyed stages are given
// signKeys or encryptKeys, which must include the key h names. A codec
// with no implementation in this program (BSON without package
// serializers/bsoncodec) is an error matching ErrUnknownCodec.
func PipelineFor(h Header, signKeys, encryptKeys []Key) (*Pipeline, error) {
	if h.Version != formatV1 && h.Version != formatV2 {
		return nil, fmt.Errorf("serializers: pipeline for %q: unknown format version %d", h, h.Version)
	}
	if (h.Version == formatV2) != (h.Codec == Compact) {
		return nil, fmt.Errorf("serializers: pipeline for %q: codec %s is not written as version %d", h, h.Codec, h.Version)
	}
	stages := make([]Stage, 0, len(h.Stages))
	for _, s := range h.Stages {
		var st Stage
		switch s.Name {
		case kindZstd.String():
			st = Zstd(0)
		case kindGzip.String():
			st = Gzip(0)
		case kindHMAC.String():
			st = Sign(signKeys...)
		case kindAESGCM.String():
			st = Encrypt(encryptKeys...)
		default:
			return nil, fmt.Errorf("serializers: pipeline for %q: unknown stage %q", h, s.Name)
		}
		if s.KeyID != "" && st.err() == nil && !st.hasKey([]byte(s.KeyID)) {
			return nil, fmt.Errorf("serializers: pipeline for %q: no %s key with id %q", h, s.Name, s.KeyID)
		}
		stages = append(stages, st)
	}
	p, err := NewPipeline(h.Codec, stages...)
	if err != nil {
		return nil, fmt.Errorf("serializers: pipeline for %q: %w", h, err)
	}
	return p, nil
}
