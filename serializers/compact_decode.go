package serializers

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cachedhttp/cachedhttp/models"
)

// compactDecoder reads a compact payload. It makes two passes over the
// same bytes with the same code: the first (build false) checks the
// record and counts the bytes of the strings and the number of value slots
// the response needs; the second (build true) builds the response, with
// one string (strs) holding every name and value that is not in a table
// and one slice (slab) holding every value list. Every length and count is
// checked against the bytes left before anything is sized by it.
type compactDecoder struct {
	data  []byte
	pos   int
	err   error
	build bool
	base  int64 // the base second of date values

	strs int             // first pass: bytes of decoded strings
	vals int             // first pass: value slots
	sb   strings.Builder // second pass: the string every literal is cut from
	slab []string        // second pass: value slots not handed out yet
}

func (compactCodec) Decode(data []byte) (*models.Response, error) {
	d := compactDecoder{data: data}
	var check models.Response
	d.record(&check)
	if d.err != nil {
		return nil, d.err
	}
	d.pos, d.build = 0, true
	d.sb.Grow(d.strs)
	if d.vals > 0 {
		d.slab = make([]string, d.vals)
	}
	r := new(models.Response)
	d.record(r)
	if d.err != nil {
		return nil, d.err
	}
	return r, nil
}

// fail records the first error.
func (d *compactDecoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("compact record at byte %d: %s", d.pos, fmt.Sprintf(format, args...))
	}
}

var errTruncated = errors.New("truncated")

func (d *compactDecoder) rem() int { return len(d.data) - d.pos }

func (d *compactDecoder) byte() byte {
	if d.err != nil || d.rem() < 1 {
		d.fail("%v", errTruncated)
		return 0
	}
	d.pos++
	return d.data[d.pos-1]
}

func (d *compactDecoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.data[d.pos:])
	if n <= 0 {
		d.fail("malformed or truncated varint")
		return 0
	}
	d.pos += n
	return v
}

func (d *compactDecoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.data[d.pos:])
	if n <= 0 {
		d.fail("malformed or truncated varint")
		return 0
	}
	d.pos += n
	return v
}

// int reads a signed varint that must fit in an int.
func (d *compactDecoder) int() int {
	v := d.varint()
	if int64(int(v)) != v {
		d.fail("integer %d out of range", v)
		return 0
	}
	return int(v)
}

// take returns the next n bytes, aliasing the record.
func (d *compactDecoder) take(n uint64) []byte {
	if d.err != nil {
		return nil
	}
	if n > uint64(d.rem()) {
		d.fail("length %d exceeds the %d bytes left", n, d.rem())
		return nil
	}
	d.pos += int(n)
	return d.data[d.pos-int(n) : d.pos : d.pos]
}

// str turns parts into one string cut from the decoded strings (second
// pass) or counts their length (first pass).
func (d *compactDecoder) str(prefix string, b []byte) string {
	if d.err != nil {
		return ""
	}
	if !d.build {
		d.strs += len(prefix) + len(b)
		return ""
	}
	off := d.sb.Len()
	d.sb.WriteString(prefix)
	d.sb.Write(b)
	return d.sb.String()[off:]
}

// literal reads n bytes as a string.
func (d *compactDecoder) literal(n uint64) string { return d.str("", d.take(n)) }

// slots returns n value slots (first pass: counts them). A count of zero
// gives an empty, non-nil slice.
func (d *compactDecoder) slots(n uint64) []string {
	if n > uint64(d.rem()) { // every value takes at least one byte
		d.fail("%d values with %d bytes left", n, d.rem())
	}
	if d.err != nil {
		return nil
	}
	if n == 0 {
		return []string{}
	}
	if !d.build {
		d.vals += int(n)
		return nil
	}
	if n > uint64(len(d.slab)) { // the first pass counted them
		d.fail("value slots exhausted")
		return nil
	}
	vs := d.slab[:n:n]
	d.slab = d.slab[n:]
	return vs
}

func (d *compactDecoder) record(r *models.Response) {
	flags, nsMask := d.byte(), d.byte()
	if flags&^(compactTimeBits|compactRevalidate) != 0 || nsMask&^(flags&compactTimeBits) != 0 {
		d.fail("reserved flag bits set (flags %#x, nanosecond mask %#x)", flags, nsMask)
	}
	var baseSec, baseNsec int64
	first := true
	for i, t := range compactTimes(r) {
		if flags&(1<<i) == 0 {
			continue
		}
		sec := baseSec + d.varint()
		nsec := baseNsec
		if nsMask&(1<<i) != 0 {
			dn := d.varint()
			if dn == 0 || dn <= -1e9 || dn >= 1e9 {
				d.fail("nanosecond delta %d out of range", dn)
			}
			nsec += dn
		}
		if nsec < 0 || nsec >= 1e9 {
			d.fail("nanoseconds %d out of range", nsec)
		}
		if d.err != nil {
			return
		}
		if *t = time.Unix(sec, nsec).UTC(); t.IsZero() {
			d.fail("a present time is the zero time")
		}
		if first {
			baseSec, baseNsec, first = sec, nsec, false
		}
	}
	d.base = baseSec
	r.Revalidate = flags&compactRevalidate != 0

	line := d.byte()
	if s := line & 31; s == 0 {
		r.StatusCode = d.int()
	} else if int(s) < len(compactStatuses) {
		r.StatusCode = compactStatuses[s]
	} else {
		d.fail("unknown status index %d", s)
	}
	if p := line >> 5; p == 0 {
		r.Proto = d.literal(d.uvarint())
		r.ProtoMajor, r.ProtoMinor = d.int(), d.int()
	} else if int(p) < len(compactProtos) {
		e := compactProtos[p]
		r.Proto, r.ProtoMajor, r.ProtoMinor = e.proto, e.major, e.minor
	} else {
		d.fail("unknown protocol index %d", p)
	}
	r.Request.Method = d.value()
	r.Request.URL = d.url()
	r.Header = d.header()
	r.Trailer = d.header()
	r.Request.Header = d.header()
	r.VaryIndex = d.vary()

	n := d.uvarint()
	body := d.take(n)
	if d.err == nil && d.rem() != 0 {
		d.fail("%d bytes after the body", d.rem())
	}
	if len(body) > 0 {
		r.Body = body
	}
}

func (d *compactDecoder) url() string {
	tag := d.uvarint()
	var prefix string
	switch tag & 3 {
	case urlHTTPS:
		prefix = "https://"
	case urlHTTP:
		prefix = "http://"
	case urlAsIs:
	default:
		d.fail("unknown URL kind %d", tag&3)
	}
	return d.str(prefix, d.take(tag>>2))
}

// name reads a name given its table index or literal length.
func (d *compactDecoder) name(v uint64, literal bool) string {
	if literal {
		return d.literal(v)
	}
	if v >= uint64(len(compactNames)) {
		d.fail("unknown name index %d", v)
		return ""
	}
	return compactNames[v]
}

func (d *compactDecoder) value() string {
	tag := d.uvarint()
	switch {
	case tag&1 == 1:
		return d.literal(tag >> 1)
	case tag&3 == 0:
		if i := tag >> 2; i < uint64(len(compactValues)) {
			return compactValues[i]
		}
		d.fail("unknown value index %d", tag>>2)
		return ""
	}
	var buf [40]byte
	var b []byte
	switch tag >> 2 {
	case formDecimal:
		n := d.uvarint()
		if !d.build {
			d.strs += decimalLen(n)
			return ""
		}
		b = strconv.AppendUint(buf[:0], n, 10)
	case formDate:
		s := d.base + d.varint()
		if !d.build {
			d.strs += imfFixdateLen // longer only for years past 9999: the builder grows
			return ""
		}
		b = appendIMFFixdate(buf[:0], s)
	default:
		d.fail("unknown value form %d", tag>>2)
	}
	return d.str("", b)
}

// header reads a header map: nil for a count of 0.
func (d *compactDecoder) header() http.Header {
	c := d.uvarint()
	if c == 0 || d.err != nil {
		return nil
	}
	n := c - 1
	if n > uint64(d.rem()/2) { // every field takes at least two bytes
		d.fail("%d header fields with %d bytes left", n, d.rem())
		return nil
	}
	var h http.Header
	if d.build {
		h = make(http.Header, n)
	}
	for range n {
		tag := d.uvarint()
		name := d.name(tag>>2, tag&1 == 1)
		var vs []string
		var m uint64
		if tag&2 != 0 {
			m, vs = 1, d.slots(1)
		} else if c := d.uvarint(); c > 0 {
			m, vs = c-1, d.slots(c-1)
		}
		for i := uint64(0); i < m && d.err == nil; i++ {
			if v := d.value(); vs != nil {
				vs[i] = v
			}
		}
		if d.err != nil {
			return nil
		}
		if d.build {
			if _, dup := h[name]; dup {
				d.fail("header field %q twice", name)
				return nil
			}
			h[name] = vs
		}
	}
	return h
}

// vary reads a Vary index: nil for a count of 0.
func (d *compactDecoder) vary() []string {
	c := d.uvarint()
	if c == 0 || d.err != nil {
		return nil
	}
	vs := d.slots(c - 1)
	for i := uint64(0); i < c-1 && d.err == nil; i++ {
		tag := d.uvarint()
		if s := d.name(tag>>1, tag&1 == 1); vs != nil {
			vs[i] = s
		}
	}
	return vs
}
