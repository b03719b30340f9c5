package serializers

import (
	"errors"
	"fmt"
	"sync"

	"github.com/cachedhttp/cachedhttp/models"
)

// stageKind names a kind of stage in record headers. Its values are the
// stage ids of version 2 headers (FORMAT.md): never renumber them.
type stageKind uint8

const (
	kindZstd   stageKind = 1
	kindGzip   stageKind = 2
	kindHMAC   stageKind = 3
	kindAESGCM stageKind = 4
)

func (k stageKind) String() string {
	switch k {
	case kindZstd:
		return "zstd"
	case kindGzip:
		return "gzip"
	case kindHMAC:
		return "hmac-sha256"
	case kindAESGCM:
		return "aes-256-gcm"
	}
	return fmt.Sprintf("stage(%d)", uint8(k))
}

func stageKindByName(name []byte) (stageKind, bool) {
	switch string(name) {
	case "zstd":
		return kindZstd, true
	case "gzip":
		return kindGzip, true
	case "hmac-sha256":
		return kindHMAC, true
	case "aes-256-gcm":
		return kindAESGCM, true
	}
	return 0, false
}

// keyed reports whether stages of kind k name a key in the header.
func (k stageKind) keyed() bool { return k == kindHMAC || k == kindAESGCM }

// compresses reports whether stages of kind k compress.
func (k stageKind) compresses() bool { return k == kindZstd || k == kindGzip }

// Stage is one byte transformation of a pipeline: compression (Zstd, Gzip),
// signing (Sign) or encryption (Encrypt). A pipeline runs its stages forward
// on write and in reverse on read.
//
// The set of stages is closed, because every stage's name is part of the
// stored format: a record names its stages and is read only by a pipeline
// with the same ones. A Stage is safe for concurrent use and may be shared
// by several pipelines.
type Stage interface {
	kind() stageKind
	// err reports a configuration error found by the constructor.
	err() error
	// keyID returns the key id written to the header ("" if none).
	keyID() string
	// hasKey reports whether the stage can read a record that names key id.
	hasKey(id []byte) bool
	// encode appends the transformation of src to dst.
	encode(dst, src []byte, env writeEnv) ([]byte, error)
	// decode undoes encode. The result may alias src.
	decode(src []byte, env readEnv) ([]byte, error)
}

// writeEnv is what a pipeline tells its stages when writing a record.
type writeEnv struct {
	// header is the complete record header, bound into MACs and AEAD.
	header []byte
	// incompressible is the content hint: the pipeline sets it when the
	// response body is already compressed (by Content-Encoding or
	// Content-Type) or looks random (looksIncompressible), so compression
	// stages store instead of compressing.
	incompressible bool
}

// readEnv is what a pipeline tells a stage when reading a record.
type readEnv struct {
	header []byte // complete record header
	keyID  []byte // the key id the header names for this stage
}

// Pipeline is a Serializer made of a codec and stages. It is immutable and
// safe for concurrent use.
type Pipeline struct {
	codec       Codec
	enc         Encoding
	version     int // the format version the pipeline writes
	stages      []Stage
	header      []byte // the header this pipeline writes, as in records
	desc        string // the header described in words (Header.String)
	compression bool   // some stage compresses
}

// NewPipeline returns the pipeline that encodes with codec and then applies
// stages in order; reading undoes the stages in reverse order and decodes.
// A Compact pipeline writes records of format version 2 and also reads the
// version 1 msgpack records of the same stages (those Default wrote before
// Compact); every other codec writes and reads version 1.
// It reports a codec with no implementation in this program (an error
// matching ErrUnknownCodec; BSON needs package serializers/bsoncodec), a
// stage whose constructor was given invalid
// arguments, more than 8 stages, two stages of the same kind, and
// compression after encryption (ciphertext does not compress).
func NewPipeline(codec Codec, stages ...Stage) (*Pipeline, error) {
	enc, err := codec.encoding()
	if err != nil {
		return nil, fmt.Errorf("serializers: new pipeline: %w", err)
	}
	if len(stages) > maxStages {
		return nil, fmt.Errorf("serializers: new pipeline: %d stages, at most %d", len(stages), maxStages)
	}
	p := &Pipeline{codec: codec, enc: enc, version: formatV1, stages: append([]Stage(nil), stages...)}
	if v2CodecID(codec) != 0 {
		p.version = formatV2
	}
	h := Header{Version: p.version, Codec: codec}
	seen := map[stageKind]bool{}
	encrypted := false
	for i, s := range stages {
		if s == nil {
			return nil, fmt.Errorf("serializers: new pipeline: stage %d is nil", i)
		}
		if err := s.err(); err != nil {
			return nil, fmt.Errorf("serializers: new pipeline: %w", err)
		}
		k := s.kind()
		if seen[k] {
			return nil, fmt.Errorf("serializers: new pipeline: stage %s twice", k)
		}
		seen[k] = true
		if k.compresses() {
			if encrypted {
				return nil, fmt.Errorf("serializers: new pipeline: %s after encryption cannot compress; put it first", k)
			}
			p.compression = true
		}
		if k == kindAESGCM {
			encrypted = true
		}
		h.Stages = append(h.Stages, StageInfo{Name: k.String(), KeyID: s.keyID()})
	}
	p.header, p.desc = h.appendTo(nil), h.String()
	if p.version == formatV1 && len(p.header) > maxHeaderLen {
		return nil, fmt.Errorf("serializers: new pipeline: header longer than %d bytes", maxHeaderLen)
	}
	return p, nil
}

// MustPipeline is like NewPipeline but panics on error. It is meant for
// package-level variables built from constant arguments.
func MustPipeline(codec Codec, stages ...Stage) *Pipeline {
	p, err := NewPipeline(codec, stages...)
	if err != nil {
		panic(err)
	}
	return p
}

var (
	defaultPipeline = sync.OnceValue(func() *Pipeline {
		return MustPipeline(Compact, Zstd(DefaultZstdLevel))
	})
	plainPipeline = sync.OnceValue(func() *Pipeline { return MustPipeline(Compact) })
)

// Default returns the default serializer: the compact codec compressed with
// zstd at DefaultZstdLevel, which skips bodies that are already compressed,
// look random, or are too small to gain. It writes records of format
// version 2 and reads those and the version 1 records of msgpack with zstd,
// the Default of earlier releases. The same value is returned on every
// call; it is safe for concurrent use.
//
// Why zstd by default (BenchmarkUnmarshal, 256 KiB of HTML): decompressing
// costs a few hundred microseconds per hit where an uncompressed record
// costs a few (its body aliases the record), but the record is about 4
// times smaller (61 KiB instead of 257 KiB), which saves more than that on
// every backend that moves bytes through a socket or a page cache, and lets
// a byte-bounded memory cache hold 4 times more. Records under 512 bytes,
// already compressed or random bodies, and records that compression would
// shrink by less than 1/16 are stored as they are and cost one byte. Zstd
// decodes 3 to 4 times faster than gzip at a similar ratio.
func Default() Serializer { return defaultPipeline() }

// Plain returns the compact codec without stages, for stores that keep
// records in the process's memory (the memory backend): compressing would
// cost CPU on every store and every hit to save heap only, and an
// uncompressed compact record is its body plus about 100 bytes, allocated
// at its exact size, whose body a hit returns without copying. Like
// Default it reads the version 1 records of its stages (plain msgpack). The
// same value is returned on every call.
func Plain() Serializer { return plainPipeline() }

// String describes the header the pipeline writes, such as "cachedhttp v2
// compact zstd" (Header.String).
func (p *Pipeline) String() string { return p.desc }

// Header returns the header the pipeline writes on every record.
func (p *Pipeline) Header() Header {
	h, err := Inspect(p.header)
	if err != nil {
		// NewPipeline built the header; it always parses.
		panic("serializers: pipeline header does not parse: " + err.Error())
	}
	return h
}

// errNilResponse is returned by Marshal for a nil response.
var errNilResponse = errors.New("nil response")

// Marshal encodes r into a record: the header, then the codec's encoding of
// r transformed by each stage in order.
func (p *Pipeline) Marshal(r *models.Response) ([]byte, error) {
	if r == nil {
		return nil, fmt.Errorf("serializers: marshal: %w", errNilResponse)
	}
	if len(p.stages) == 0 && p.codec == Compact {
		// The compact codec sizes the record exactly and allocates it
		// once: given the header with no spare capacity, it copies it
		// into the record it allocates. Stores that keep records (Plain)
		// then hold no spare bytes.
		return p.enc.AppendEncode(p.header[:len(p.header):len(p.header)], r)
	}
	if len(p.stages) == 0 {
		out := make([]byte, 0, len(p.header)+sizeHint(r))
		out = append(out, p.header...)
		out, err := p.enc.AppendEncode(out, r)
		if err != nil {
			return nil, fmt.Errorf("serializers: marshal %s: %w", p.codec, err)
		}
		return out, nil
	}
	env := writeEnv{header: p.header}
	if p.compression {
		env.incompressible = alreadyCompressed(r.Header) || looksIncompressible(r.Body)
	}
	bp := getBuffer(sizeHint(r))
	defer putBuffer(bp)
	cur, err := p.enc.AppendEncode((*bp)[:0], r)
	*bp = cur
	if err != nil {
		return nil, fmt.Errorf("serializers: marshal %s: %w", p.codec, err)
	}
	for i, s := range p.stages {
		var dst []byte
		if i == len(p.stages)-1 {
			dst = make([]byte, 0, len(p.header)+len(cur)+64)
			dst = append(dst, p.header...)
		}
		cur, err = s.encode(dst, cur, env)
		if err != nil {
			return nil, fmt.Errorf("serializers: marshal stage %s: %w", s.kind(), err)
		}
	}
	return cur, nil
}

// Unmarshal decodes a record written by a pipeline with the same codec and
// stages (and, for keyed stages, a key this pipeline holds); a Compact
// pipeline also decodes the version 1 msgpack records of the same stages.
// Any other record returns an error matching ErrInvalidRecord that gives
// the reason. The returned response's Body may share memory with data.
func (p *Pipeline) Unmarshal(data []byte) (*models.Response, error) {
	var h rawHeader
	if err := parseAnyHeader(data, &h); err != nil {
		return nil, err
	}
	enc, err := p.match(&h)
	if err != nil {
		return nil, err
	}
	payload := data[h.len:]
	for i := len(p.stages) - 1; i >= 0; i-- {
		s := p.stages[i]
		env := readEnv{header: data[:h.len], keyID: h.stages[i].param}
		var err error
		payload, err = s.decode(payload, env)
		if err != nil {
			return nil, fmt.Errorf("%w: stage %s: %w", ErrInvalidRecord, s.kind(), err)
		}
	}
	r, err := enc.Decode(payload)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrInvalidRecord, h.codec, err)
	}
	return r, nil
}

// match checks a parsed header against the pipeline and returns the
// encoding that decodes the record's payload.
func (p *Pipeline) match(h *rawHeader) (Encoding, error) {
	enc := p.enc
	same := h.codec == p.codec && h.version == p.version
	if !same && p.codec == Compact && h.version == formatV1 && h.codec == Msgpack {
		same, enc = true, msgpackCodec{} // what Default wrote before Compact
	}
	same = same && h.n == len(p.stages)
	for i := 0; same && i < h.n; i++ {
		same = h.stages[i].kind == p.stages[i].kind()
	}
	if !same {
		return nil, invalid("record written by pipeline %q, this pipeline is %q", headerLine(h), p.String())
	}
	for i := 0; i < h.n; i++ {
		if id := h.stages[i].param; id != nil && !p.stages[i].hasKey(id) {
			return nil, invalid("stage %s: unknown key id %q", h.stages[i].kind, id)
		}
	}
	return enc, nil
}

// headerLine renders a parsed header for error messages.
func headerLine(h *rawHeader) string {
	hd := Header{Version: h.version, Codec: h.codec}
	for i := 0; i < h.n; i++ {
		hd.Stages = append(hd.Stages, StageInfo{Name: h.stages[i].kind.String(), KeyID: string(h.stages[i].param)})
	}
	return hd.String()
}

// sizeHint estimates the encoded size of r, to size buffers.
func sizeHint(r *models.Response) int {
	n := 256 + len(r.Body) + len(r.Request.URL)
	for k, vs := range r.Header {
		n += len(k) + 4
		for _, v := range vs {
			n += len(v) + 2
		}
	}
	return n
}

var bufferPool sync.Pool

// getBuffer returns a pooled buffer with capacity at least n.
func getBuffer(n int) *[]byte {
	if bp, ok := bufferPool.Get().(*[]byte); ok && cap(*bp) >= n {
		return bp
	}
	b := make([]byte, 0, n)
	return &b
}

// putBuffer returns a buffer to the pool; very large ones are dropped so the
// pool does not pin memory after one large response.
func putBuffer(bp *[]byte) {
	if cap(*bp) > 4<<20 {
		return
	}
	*bp = (*bp)[:0]
	bufferPool.Put(bp)
}
