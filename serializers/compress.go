package serializers

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/klauspost/compress"
	"github.com/klauspost/compress/zstd"
)

// Compression stages write one flag byte and then either the input as it was
// (flagStored) or the uncompressed length as a uvarint followed by the
// compressed data (flagCompressed). Storing costs one byte and lets a reader
// return the payload without copying.
const (
	flagStored     = 0x00
	flagCompressed = 0x01
)

const (
	// DefaultZstdLevel is the zstd level of Default and of Zstd(0): the
	// "default" speed of github.com/klauspost/compress/zstd (about zstd -3).
	DefaultZstdLevel = 3
	// DefaultGzipLevel is the gzip level of Gzip(0).
	DefaultGzipLevel = gzip.DefaultCompression
	// DefaultMaxDecompressedSize bounds what a compression stage will
	// decompress, so that a decompression bomb is an error, not an
	// exhausted memory: 1 GiB.
	DefaultMaxDecompressedSize = 1 << 30
	// MinCompressSize is the smallest input a compression stage compresses;
	// smaller ones rarely gain and are stored as they are.
	MinCompressSize = 512
)

// CompressOption configures a compression stage.
type CompressOption func(*compressConfig)

type compressConfig struct {
	max int64
}

// MaxDecompressedSize sets the largest payload a compression stage will
// decompress (DefaultMaxDecompressedSize when not set). A record that would
// decompress to more is an invalid record. n must be positive.
func MaxDecompressedSize(n int64) CompressOption {
	return func(c *compressConfig) { c.max = n }
}

func newCompressConfig(opts []CompressOption) (compressConfig, error) {
	c := compressConfig{max: DefaultMaxDecompressedSize}
	for _, o := range opts {
		o(&c)
	}
	if c.max <= 0 {
		return c, fmt.Errorf("maximum decompressed size %d is not positive", c.max)
	}
	return c, nil
}

// alreadyCompressed is the content hint the pipeline gives compression
// stages: whether the body is compressed already, judged from the response
// header. A Content-Encoding other than identity, or a media type whose
// format is compressed (images except SVG and BMP, audio, video, archives,
// WOFF fonts, PDF), says so.
func alreadyCompressed(h http.Header) bool {
	for _, ce := range h["Content-Encoding"] {
		for _, c := range strings.Split(ce, ",") {
			if c = strings.TrimSpace(c); c != "" && !strings.EqualFold(c, "identity") {
				return true
			}
		}
	}
	// The media type without parameters, lower-cased: no allocation for
	// the usual lower-case value (mime.ParseMediaType allocates a map).
	mt, _, _ := strings.Cut(h.Get("Content-Type"), ";")
	typ, sub, ok := strings.Cut(strings.ToLower(strings.TrimSpace(mt)), "/")
	if !ok {
		return false
	}
	switch typ {
	case "image":
		return sub != "svg+xml" && sub != "bmp" && sub != "x-icon" && sub != "vnd.microsoft.icon"
	case "video":
		return true
	case "audio":
		return sub != "wav" && sub != "x-wav" && sub != "wave"
	case "font":
		return sub == "woff" || sub == "woff2"
	case "application":
		switch sub {
		case "zip", "gzip", "x-gzip", "zstd", "x-zstd", "x-bzip2", "x-xz", "x-7z-compressed",
			"x-rar-compressed", "vnd.rar", "x-brotli", "br", "pdf", "epub+zip", "java-archive",
			"x-compress", "x-lzip", "x-lzma", "wasm+gzip", "font-woff", "font-woff2":
			return true
		}
		return strings.HasPrefix(sub, "vnd.openxmlformats-officedocument.") ||
			strings.HasPrefix(sub, "vnd.oasis.opendocument.")
	}
	return false
}

// Incompressible bodies. A compression stage given a random body (an
// image whose type the header does not say, encrypted or already
// compressed data) spends as long as on text to gain nothing, and when the
// few bytes of header fields around the body do shrink, every hit then
// pays a decompression for them. The pipeline therefore estimates the
// body first: compress.Estimate (order-1 prediction and byte histogram)
// costs about 1 ns a byte, on at most three windows of probeWindow bytes,
// and reads below probeThreshold for random data, above 0.3 for text,
// markup and JSON, and for repeated data.
const (
	probeWindow    = 512
	probeThreshold = 0.1 // "likely to be compressible" above, says Estimate
	// minGainDivisor: a compressed form is kept only when it saves at
	// least 1/minGainDivisor of the input; a smaller gain is not worth a
	// decompression on every hit.
	minGainDivisor = 16
)

// looksIncompressible reports whether body looks random: its first
// probeWindow bytes, and for bodies over 4 KiB its middle and last ones
// too, all estimate below probeThreshold. Bodies under MinCompressSize are
// left to the stages' own rules.
func looksIncompressible(body []byte) bool {
	if len(body) < MinCompressSize {
		return false
	}
	if compress.Estimate(body[:probeWindow]) >= probeThreshold {
		return false
	}
	if len(body) <= 4<<10 {
		return true
	}
	mid := len(body)/2 - probeWindow/2
	return compress.Estimate(body[mid:mid+probeWindow]) < probeThreshold &&
		compress.Estimate(body[len(body)-probeWindow:]) < probeThreshold
}

// worthCompressing reports whether a compressed form of n bytes, flag and
// length included, saves enough over storing the input of size in bytes.
func worthCompressing(n, in int) bool { return n <= in-in/minGainDivisor }

// storeBytes appends the flagStored form of src to dst.
func storeBytes(dst, src []byte) []byte {
	dst = append(dst, flagStored)
	return append(dst, src...)
}

// compressedPrefix appends the flag and the uncompressed length.
func compressedPrefix(dst []byte, n int) []byte {
	dst = append(dst, flagCompressed)
	return binary.AppendUvarint(dst, uint64(n))
}

// Maximum compression ratios of valid data: deflate cannot expand one byte
// into more than 1032 (zlib's technical details), and a zstd block of at
// most 128 KiB costs at least 4 bytes (an RLE block). A record announcing
// more than ratio × its compressed size is forged, and is refused before
// anything is allocated for it.
const (
	maxRatioGzip = 1032
	maxRatioZstd = 32768
)

// splitCompressed parses the stage framing. For a stored payload it returns
// the payload itself (stored true); otherwise the uncompressed length,
// checked against max and against what the compressed data can hold at
// maxRatio, and the compressed data.
func splitCompressed(src []byte, max int64, maxRatio int) (payload []byte, n int, stored bool, err error) {
	if len(src) == 0 {
		return nil, 0, false, errors.New("empty payload")
	}
	switch src[0] {
	case flagStored:
		return src[1:], 0, true, nil
	case flagCompressed:
	default:
		return nil, 0, false, fmt.Errorf("unknown flag byte %#x", src[0])
	}
	size, k := binary.Uvarint(src[1:])
	if k <= 0 {
		return nil, 0, false, errors.New("malformed uncompressed length")
	}
	if size > uint64(max) {
		return nil, 0, false, fmt.Errorf("uncompressed length %d exceeds the limit of %d bytes", size, max)
	}
	payload = src[1+k:]
	if size > uint64(len(payload))*uint64(maxRatio) {
		return nil, 0, false, fmt.Errorf("uncompressed length %d is impossible for %d compressed bytes", size, len(payload))
	}
	return payload, int(size), false, nil
}

// zstdStage compresses with zstd.
type zstdStage struct {
	cfg   compressConfig
	level zstd.EncoderLevel
	cerr  error
}

// Zstd returns a stage that compresses with zstd
// (github.com/klauspost/compress/zstd). level is a zstd level from 1 to 22,
// mapped onto the four speeds that package implements (1: fastest, 2-5:
// default, 6-9: better, 10-22: best); 0 means DefaultZstdLevel. The level
// is not recorded: records written at any level read back the same.
//
// The stage stores its input as it is when the pipeline's content hint says
// the body is already compressed or looks random, when the input is smaller
// than MinCompressSize, or when compression would not make it at least
// 1/16 smaller. Encoders
// and the decoder are created once and shared by every Zstd stage.
func Zstd(level int, opts ...CompressOption) Stage {
	s := &zstdStage{}
	s.cfg, s.cerr = newCompressConfig(opts)
	if level == 0 {
		level = DefaultZstdLevel
	}
	if level < 1 || level > 22 {
		s.cerr = fmt.Errorf("zstd: level %d out of range 1-22", level)
	}
	s.level = zstd.EncoderLevelFromZstd(level)
	if s.cerr != nil {
		s.cerr = fmt.Errorf("zstd: %w", s.cerr)
	}
	return s
}

// zstdEncoders holds one shared encoder per speed, created on first use.
var zstdEncoders [zstd.SpeedBestCompression + 1]struct {
	once sync.Once
	enc  *zstd.Encoder
	err  error
}

func zstdEncoder(l zstd.EncoderLevel) (*zstd.Encoder, error) {
	e := &zstdEncoders[l]
	e.once.Do(func() {
		e.enc, e.err = zstd.NewWriter(nil, zstd.WithEncoderLevel(l))
	})
	return e.enc, e.err
}

// zstdDecoder is the shared decoder. Stages bound each decode by the length
// the record announces (WithDecodeAllCapLimit), which is checked against
// their maximum before anything is allocated.
var zstdDecoder = sync.OnceValues(func() (*zstd.Decoder, error) {
	return zstd.NewReader(nil, zstd.WithDecodeAllCapLimit(true), zstd.WithDecoderMaxMemory(1<<40),
		zstd.WithDecoderConcurrency(0)) // one per GOMAXPROCS: hits decode in parallel
})

func (s *zstdStage) kind() stageKind      { return kindZstd }
func (s *zstdStage) err() error           { return s.cerr }
func (s *zstdStage) keyID() string        { return "" }
func (s *zstdStage) hasKey(_ []byte) bool { return false }

func (s *zstdStage) encode(dst, src []byte, env writeEnv) ([]byte, error) {
	if env.incompressible || len(src) < MinCompressSize {
		return storeBytes(dst, src), nil
	}
	enc, err := zstdEncoder(s.level)
	if err != nil {
		return nil, err
	}
	mark := len(dst)
	dst = compressedPrefix(dst, len(src))
	dst = enc.EncodeAll(src, dst)
	if !worthCompressing(len(dst)-mark, len(src)) {
		return storeBytes(dst[:mark], src), nil
	}
	return dst, nil
}

func (s *zstdStage) decode(src []byte, _ readEnv) ([]byte, error) {
	payload, n, stored, err := splitCompressed(src, s.cfg.max, maxRatioZstd)
	if err != nil || stored {
		return payload, err
	}
	dec, err := zstdDecoder()
	if err != nil {
		return nil, err
	}
	out, err := dec.DecodeAll(payload, make([]byte, 0, n))
	if err != nil {
		return nil, fmt.Errorf("zstd: %w", err)
	}
	if len(out) != n {
		return nil, fmt.Errorf("zstd: %d bytes decompressed, record says %d", len(out), n)
	}
	return out, nil
}

// gzipStage compresses with gzip.
type gzipStage struct {
	cfg     compressConfig
	level   int
	cerr    error
	writers sync.Pool // *gzip.Writer at level
}

// Gzip returns a stage that compresses with gzip (compress/gzip) at level
// 1 (fastest) to 9 (best); 0 means gzip's default (6). Like Zstd it stores
// input that is already compressed, small or does not shrink. Writers are
// pooled. Zstd is faster at a better ratio; Gzip is there for readers that
// only know gzip.
func Gzip(level int, opts ...CompressOption) Stage {
	s := &gzipStage{level: level}
	s.cfg, s.cerr = newCompressConfig(opts)
	if level == 0 {
		s.level = DefaultGzipLevel
	} else if level < gzip.BestSpeed || level > gzip.BestCompression {
		s.cerr = fmt.Errorf("level %d out of range 1-9", level)
	}
	if s.cerr != nil {
		s.cerr = fmt.Errorf("gzip: %w", s.cerr)
	}
	return s
}

func (s *gzipStage) kind() stageKind      { return kindGzip }
func (s *gzipStage) err() error           { return s.cerr }
func (s *gzipStage) keyID() string        { return "" }
func (s *gzipStage) hasKey(_ []byte) bool { return false }

func (s *gzipStage) encode(dst, src []byte, env writeEnv) ([]byte, error) {
	if env.incompressible || len(src) < MinCompressSize {
		return storeBytes(dst, src), nil
	}
	mark := len(dst)
	w := &appendWriter{b: compressedPrefix(dst, len(src))}
	zw, _ := s.writers.Get().(*gzip.Writer)
	if zw == nil {
		var err error
		if zw, err = gzip.NewWriterLevel(w, s.level); err != nil {
			return nil, err
		}
	} else {
		zw.Reset(w)
	}
	_, err := zw.Write(src)
	if err == nil {
		err = zw.Close()
	}
	zw.Reset(io.Discard)
	s.writers.Put(zw)
	if err != nil {
		return nil, err
	}
	if !worthCompressing(len(w.b)-mark, len(src)) {
		return storeBytes(w.b[:mark], src), nil
	}
	return w.b, nil
}

// gzipReaders pools readers for every Gzip stage.
var gzipReaders sync.Pool // *gzip.Reader

func (s *gzipStage) decode(src []byte, _ readEnv) ([]byte, error) {
	payload, n, stored, err := splitCompressed(src, s.cfg.max, maxRatioGzip)
	if err != nil || stored {
		return payload, err
	}
	br := bytes.NewReader(payload)
	zr, _ := gzipReaders.Get().(*gzip.Reader)
	if zr == nil {
		zr, err = gzip.NewReader(br)
	} else {
		err = zr.Reset(br)
	}
	if err != nil {
		return nil, fmt.Errorf("gzip: %w", err)
	}
	defer gzipReaders.Put(zr)
	zr.Multistream(false)
	out := make([]byte, n)
	if _, err := io.ReadFull(zr, out); err != nil {
		return nil, fmt.Errorf("gzip: %w", err)
	}
	// The stream must end here: reading on checks the CRC and length and
	// rejects data beyond the announced length.
	var one [1]byte
	if k, err := zr.Read(one[:]); k != 0 || err != io.EOF {
		if err == nil || err == io.EOF {
			err = errors.New("more data than the record says")
		}
		return nil, fmt.Errorf("gzip: %w", err)
	}
	if br.Len() != 0 {
		return nil, fmt.Errorf("gzip: %d bytes after the stream", br.Len())
	}
	return out, nil
}
