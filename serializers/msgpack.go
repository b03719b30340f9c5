package serializers

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/cachedhttp/cachedhttp/models"
)

// msgpackCodec encodes a response as one msgpack array of msgpackFields
// elements in a fixed order (FORMAT.md lists them). A fixed array costs no
// field names and decodes without lookups; adding a field needs a new format
// version.
type msgpackCodec struct{}

// msgpackFields is the length of the v1 msgpack record array.
const msgpackFields = 17

// appendWriter is an io.Writer and io.ByteWriter appending to a slice, so the
// msgpack encoder writes straight into the record.
type appendWriter struct{ b []byte }

func (w *appendWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}

func (w *appendWriter) WriteByte(c byte) error {
	w.b = append(w.b, c)
	return nil
}

type msgpackEncoder struct {
	w   appendWriter
	enc *msgpack.Encoder
}

var msgpackEncoders = sync.Pool{New: func() any {
	e := &msgpackEncoder{}
	e.enc = msgpack.NewEncoder(&e.w)
	return e
}}

func (msgpackCodec) AppendEncode(dst []byte, r *models.Response) ([]byte, error) {
	e := msgpackEncoders.Get().(*msgpackEncoder)
	e.w.b = dst
	err := (*msgpackRecord)(r).EncodeMsgpack(e.enc)
	out := e.w.b
	e.w.b = nil
	msgpackEncoders.Put(e)
	return out, err
}

// msgpackRecord is models.Response with the msgpack layout of format v1.
type msgpackRecord models.Response

// The read path does not go through msgpack.Decoder.Decode: it slices the
// body out of the record and decodes times itself (see msgpackDecoder).
var _ msgpack.CustomEncoder = (*msgpackRecord)(nil)

// EncodeMsgpack writes the fixed array layout of format v1.
func (r *msgpackRecord) EncodeMsgpack(e *msgpack.Encoder) error {
	w := errWriter{}
	w.do(e.EncodeArrayLen(msgpackFields))
	w.do(e.EncodeInt(int64(r.StatusCode)))
	w.do(e.EncodeString(r.Proto))
	w.do(e.EncodeInt(int64(r.ProtoMajor)))
	w.do(e.EncodeInt(int64(r.ProtoMinor)))
	w.do(encodeMsgpackHeader(e, r.Header))
	w.do(encodeMsgpackHeader(e, r.Trailer))
	w.do(e.EncodeBytes(r.Body))
	w.do(e.EncodeString(r.Request.Method))
	w.do(e.EncodeString(r.Request.URL))
	w.do(encodeMsgpackHeader(e, r.Request.Header))
	for _, t := range [...]time.Time{r.RequestTime, r.ResponseTime, r.Created, r.Expires, r.StaleUntil} {
		w.do(encodeMsgpackTime(e, t))
	}
	w.do(e.EncodeBool(r.Revalidate))
	w.do(encodeMsgpackStrings(e, r.VaryIndex))
	return w.err
}

// errWriter keeps the first error of a sequence of writes.
type errWriter struct{ err error }

func (w *errWriter) do(err error) {
	if w.err == nil {
		w.err = err
	}
}

// encodeMsgpackHeader writes h as a map from name to an array of values;
// nil maps and nil value slices are written as nil so they decode as nil.
func encodeMsgpackHeader(e *msgpack.Encoder, h http.Header) error {
	if h == nil {
		return e.EncodeNil()
	}
	if err := e.EncodeMapLen(len(h)); err != nil {
		return err
	}
	for k, vs := range h {
		if err := e.EncodeString(k); err != nil {
			return err
		}
		if err := encodeMsgpackStrings(e, vs); err != nil {
			return err
		}
	}
	return nil
}

func encodeMsgpackStrings(e *msgpack.Encoder, ss []string) error {
	if ss == nil {
		return e.EncodeNil()
	}
	if err := e.EncodeArrayLen(len(ss)); err != nil {
		return err
	}
	for _, s := range ss {
		if err := e.EncodeString(s); err != nil {
			return err
		}
	}
	return nil
}

// encodeMsgpackTime writes the zero time as nil and any other time as the
// msgpack timestamp extension (-1), which keeps nanoseconds.
func encodeMsgpackTime(e *msgpack.Encoder, t time.Time) error {
	if t.IsZero() {
		return e.EncodeNil()
	}
	return e.EncodeTime(t)
}

// msgpackDecoder is a pooled decoder reading from a bytes.Reader over the
// record, so that the body can be sliced out of the record without copying.
type msgpackDecoder struct {
	data []byte
	r    bytes.Reader
	dec  *msgpack.Decoder
	// scratch for header: raw names and values, value counts per name
	raws   [][]byte
	counts []int
}

var msgpackDecoders = sync.Pool{New: func() any {
	d := &msgpackDecoder{}
	d.dec = msgpack.NewDecoder(&d.r)
	return d
}}

func (msgpackCodec) Decode(data []byte) (*models.Response, error) {
	d := msgpackDecoders.Get().(*msgpackDecoder)
	d.data = data
	d.r.Reset(data)
	d.dec.Reset(&d.r)
	r := new(models.Response)
	err := d.decodeRecord(r)
	if err == nil && d.r.Len() != 0 {
		err = fmt.Errorf("%d bytes after the record", d.r.Len())
	}
	d.data = nil
	d.r.Reset(nil)
	if err != nil {
		// Not back to the pool: whatever a corrupt record made the
		// decoder allocate goes with it.
		return nil, err
	}
	msgpackDecoders.Put(d)
	return r, nil
}

var errMsgpackLayout = errors.New("not a v1 msgpack record")

func (d *msgpackDecoder) decodeRecord(r *models.Response) error {
	dec := d.dec
	n, err := dec.DecodeArrayLen()
	if err != nil {
		return err
	}
	if n != msgpackFields {
		return fmt.Errorf("%w: array of %d fields, want %d", errMsgpackLayout, n, msgpackFields)
	}
	if r.StatusCode, err = dec.DecodeInt(); err != nil {
		return fmt.Errorf("status: %w", err)
	}
	if r.Proto, err = d.string(); err != nil {
		return fmt.Errorf("proto: %w", err)
	}
	if r.ProtoMajor, err = dec.DecodeInt(); err != nil {
		return fmt.Errorf("proto major: %w", err)
	}
	if r.ProtoMinor, err = dec.DecodeInt(); err != nil {
		return fmt.Errorf("proto minor: %w", err)
	}
	if r.Header, err = d.header(); err != nil {
		return fmt.Errorf("header: %w", err)
	}
	if r.Trailer, err = d.header(); err != nil {
		return fmt.Errorf("trailer: %w", err)
	}
	if r.Body, err = d.bytes(); err != nil {
		return fmt.Errorf("body: %w", err)
	}
	if r.Request.Method, err = d.string(); err != nil {
		return fmt.Errorf("request method: %w", err)
	}
	if r.Request.URL, err = d.plainString(); err != nil {
		return fmt.Errorf("request URL: %w", err)
	}
	if r.Request.Header, err = d.header(); err != nil {
		return fmt.Errorf("request header: %w", err)
	}
	for _, t := range [...]*time.Time{&r.RequestTime, &r.ResponseTime, &r.Created, &r.Expires, &r.StaleUntil} {
		if *t, err = d.time(); err != nil {
			return fmt.Errorf("time: %w", err)
		}
	}
	if r.Revalidate, err = dec.DecodeBool(); err != nil {
		return fmt.Errorf("revalidate: %w", err)
	}
	if r.VaryIndex, err = d.strings(); err != nil {
		return fmt.Errorf("vary index: %w", err)
	}
	return nil
}

// raw returns the next string or binary value as a slice of the record,
// without copying; nil for a msgpack nil.
func (d *msgpackDecoder) raw() ([]byte, error) {
	n, err := d.dec.DecodeBytesLen()
	if err != nil {
		return nil, err
	}
	if n < 0 {
		return nil, nil
	}
	if n > d.r.Len() {
		return nil, io.ErrUnexpectedEOF
	}
	pos := len(d.data) - d.r.Len()
	if _, err := d.r.Seek(int64(n), io.SeekCurrent); err != nil {
		return nil, err
	}
	return d.data[pos : pos+n : pos+n], nil
}

// bytes returns the body, aliasing the record; an empty body is nil.
func (d *msgpackDecoder) bytes() ([]byte, error) {
	b, err := d.raw()
	if len(b) == 0 {
		return nil, err
	}
	return b, err
}

// string returns the next string, interned when it is a common one.
func (d *msgpackDecoder) string() (string, error) {
	b, err := d.raw()
	if err != nil {
		return "", err
	}
	if s, ok := commonStrings[string(b)]; ok {
		return s, nil
	}
	return string(b), nil
}

// plainString returns the next string without looking it up in
// commonStrings, for values that are rarely shared (URLs).
func (d *msgpackDecoder) plainString() (string, error) {
	b, err := d.raw()
	return string(b), err
}

// strings decodes an array of strings (nil stays nil).
func (d *msgpackDecoder) strings() ([]string, error) {
	n, err := d.dec.DecodeArrayLen()
	if err != nil {
		return nil, err
	}
	if n < 0 {
		return nil, nil
	}
	if n > d.r.Len() { // every element takes at least one byte
		return nil, io.ErrUnexpectedEOF
	}
	ss := make([]string, n)
	for i := range ss {
		if ss[i], err = d.string(); err != nil {
			return nil, err
		}
	}
	return ss, nil
}

// header decodes a header map (nil stays nil). It allocates the map, one
// slice for all values and one string for all names and values that are
// not in commonStrings, however many fields there are: the raw names and
// values are collected first (they alias the record), then copied once.
func (d *msgpackDecoder) header() (http.Header, error) {
	n, err := d.dec.DecodeMapLen()
	if err != nil {
		return nil, err
	}
	if n < 0 {
		return nil, nil
	}
	if n > d.r.Len()/2 { // every entry takes at least two bytes
		return nil, io.ErrUnexpectedEOF
	}
	raws, counts := d.raws[:0], d.counts[:0]
	defer func() { d.raws, d.counts = raws[:0], counts[:0] }()
	total, values := 0, 0
	for range n {
		k, err := d.raw()
		if err != nil {
			return nil, err
		}
		raws = append(raws, k)
		if _, ok := commonStrings[string(k)]; !ok {
			total += len(k)
		}
		m, err := d.dec.DecodeArrayLen()
		if err != nil {
			return nil, err
		}
		if m > d.r.Len() { // every value takes at least one byte
			return nil, io.ErrUnexpectedEOF
		}
		counts = append(counts, m)
		for range m {
			v, err := d.raw()
			if err != nil {
				return nil, err
			}
			raws = append(raws, v)
			if _, ok := commonStrings[string(v)]; !ok {
				total += len(v)
			}
		}
		values += max(m, 0)
	}
	var sb strings.Builder
	sb.Grow(total)
	for _, b := range raws {
		if _, ok := commonStrings[string(b)]; !ok {
			sb.Write(b)
		}
	}
	all, off := sb.String(), 0
	str := func(b []byte) string {
		if s, ok := commonStrings[string(b)]; ok {
			return s
		}
		s := all[off : off+len(b)]
		off += len(b)
		return s
	}
	h := make(http.Header, n)
	slab := make([]string, values)
	i := 0
	for _, m := range counts {
		k := str(raws[i])
		i++
		if m < 0 {
			h[k] = nil
			continue
		}
		vs := slab[:m:m]
		slab = slab[m:]
		for j := range vs {
			vs[j] = str(raws[i])
			i++
		}
		h[k] = vs
	}
	return h, nil
}

// time decodes nil (the zero time) or a msgpack timestamp (extension type
// -1 in its 32, 64 or 96-bit form) straight from the record. It does not
// use msgpack.Decoder.DecodeTime, which also accepts strings and extensions
// of any declared length and reads them into a buffer the decoder keeps: a
// corrupt record could make a pooled decoder grow without bound.
func (d *msgpackDecoder) time() (time.Time, error) {
	b := d.data[len(d.data)-d.r.Len():]
	var sec, nsec int64
	var n int
	switch {
	case len(b) >= 1 && b[0] == 0xc0: // nil
		n = 1
	case len(b) >= 6 && b[0] == 0xd6 && b[1] == 0xff: // fixext 4: uint32 seconds
		sec, n = int64(binary.BigEndian.Uint32(b[2:])), 6
	case len(b) >= 10 && b[0] == 0xd7 && b[1] == 0xff: // fixext 8: 30-bit ns, 34-bit s
		v := binary.BigEndian.Uint64(b[2:])
		sec, nsec, n = int64(v&(1<<34-1)), int64(v>>34), 10
	case len(b) >= 15 && b[0] == 0xc7 && b[1] == 12 && b[2] == 0xff: // ext 8: uint32 ns, int64 s
		sec, nsec, n = int64(binary.BigEndian.Uint64(b[7:])), int64(binary.BigEndian.Uint32(b[3:])), 15
	default:
		return time.Time{}, errors.New("not nil or a msgpack timestamp")
	}
	if _, err := d.r.Seek(int64(n), io.SeekCurrent); err != nil {
		return time.Time{}, err
	}
	if n == 1 {
		return time.Time{}, nil
	}
	if nsec >= 1e9 {
		return time.Time{}, fmt.Errorf("timestamp nanoseconds %d out of range", nsec)
	}
	return time.Unix(sec, nsec).UTC(), nil
}

// commonStrings interns header names, values and methods that recur in
// almost every record, so decoding them does not allocate.
var commonStrings = func() map[string]string {
	m := map[string]string{}
	for _, s := range []string{
		"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS",
		"Accept", "Accept-Encoding", "Accept-Language", "Accept-Ranges", "Age",
		"Access-Control-Allow-Origin", "Cache-Control", "Connection", "Content-Disposition",
		"Content-Encoding", "Content-Language", "Content-Length", "Content-Location",
		"Content-Security-Policy", "Content-Type", "Date", "ETag", "Expires", "Last-Modified",
		"Link", "Location", "Pragma", "Referrer-Policy", "Server", "Set-Cookie",
		"Strict-Transport-Security", "Transfer-Encoding", "User-Agent", "Vary", "Via",
		"X-Content-Type-Options", "X-Frame-Options", "X-Request-Id", "X-Xss-Protection",
		"Alt-Svc", "Cf-Cache-Status", "Cf-Ray", "Nel", "Report-To", "Permissions-Policy",
		"X-Cache", "X-Served-By", "X-Timer", "Authorization", "Cookie", "If-None-Match",
		"If-Modified-Since", "Origin", "Referer", "Host",
		"gzip", "br", "zstd", "deflate", "identity", "bytes", "nosniff", "DENY", "SAMEORIGIN",
		"Accept-Encoding", "Origin", "chunked", "keep-alive", "close",
		"application/json", "application/json; charset=utf-8", "text/html", "text/html; charset=utf-8",
		"text/plain", "text/plain; charset=utf-8", "text/css", "application/javascript",
		"text/javascript", "image/png", "image/jpeg", "image/webp", "image/svg+xml",
		"no-cache", "no-store", "private", "public", "max-age=0", "must-revalidate",
	} {
		m[s] = s
	}
	return m
}()
