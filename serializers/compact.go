package serializers

import (
	"encoding/binary"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/cachedhttp/cachedhttp/models"
)

// compactCodec is the codec of format version 2 (FORMAT.md, "compact"): a
// binary layout made for records that are mostly body. Lengths are
// varints; common header names and values are one or two bytes from static
// tables (compact_table.go); IMF-fixdates and decimal values are stored as
// numbers; timestamps are deltas from the first one; the body comes last,
// after its length, so that a reader returns it as a slice of the record.
//
// Encoding makes one allocation: everything before the body is written to
// a pooled scratch buffer, then the record is allocated at its exact size.
// Decoding walks the record twice, once to check it and count what it
// needs, then to build the response with one string for every name and
// value not in the tables, one slice for every value list, and the maps.
type compactCodec struct{}

// Bits of the flags byte. Bits 0 to 4 say which times are present, in
// compactTimes order.
const (
	compactRevalidate = 1 << 5
	compactTimeBits   = 1<<5 - 1
	compactTimeCount  = 5
)

// compactTimes returns pointers to the times of r in the order the codec
// writes them: ResponseTime first, as the base of the others.
func compactTimes(r *models.Response) [compactTimeCount]*time.Time {
	return [...]*time.Time{&r.ResponseTime, &r.RequestTime, &r.Created, &r.Expires, &r.StaleUntil}
}

// URL kinds: the two low bits of a URL's length tag.
const (
	urlAsIs  = 0
	urlHTTPS = 1 // "https://" omitted
	urlHTTP  = 2 // "http://" omitted
)

var compactScratch = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

func (compactCodec) AppendEncode(dst []byte, r *models.Response) ([]byte, error) {
	sp := compactScratch.Get().(*[]byte)
	pre := appendCompactPrefix((*sp)[:0], r)
	n := len(r.Body)
	if need := len(pre) + uvarintLen(uint64(n)) + n; cap(dst)-len(dst) < need {
		// One allocation of the exact size. (slices.Grow would clear the
		// bytes the body then overwrites: 2.5 times slower on 256 KiB.)
		grown := make([]byte, len(dst), len(dst)+need)
		copy(grown, dst)
		dst = grown
	}
	dst = append(dst, pre...)
	dst = binary.AppendUvarint(dst, uint64(n))
	dst = append(dst, r.Body...)
	if cap(pre) <= 64<<10 {
		*sp = pre[:0]
		compactScratch.Put(sp)
	}
	return dst, nil
}

// uvarintLen is the length of the uvarint encoding of v.
func uvarintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

// appendCompactPrefix appends every field of r up to the body length.
func appendCompactPrefix(b []byte, r *models.Response) []byte {
	at := len(b)
	b = append(b, 0, 0) // flags, nanosecond mask
	var flags, nsMask byte
	var baseSec, baseNsec int64
	for i, t := range compactTimes(r) {
		if t.IsZero() {
			continue
		}
		sec, nsec := t.Unix(), int64(t.Nanosecond())
		// The first time is relative to the Unix epoch, the others to
		// the first. Seconds wrap around on overflow, in both
		// directions, so any time round-trips.
		b = binary.AppendVarint(b, sec-baseSec)
		if d := nsec - baseNsec; d != 0 {
			nsMask |= 1 << i
			b = binary.AppendVarint(b, d)
		}
		if flags == 0 {
			baseSec, baseNsec = sec, nsec
		}
		flags |= 1 << i
	}
	if r.Revalidate {
		flags |= compactRevalidate
	}
	b[at], b[at+1] = flags, nsMask

	status, statusOK := compactStatusIndex[r.StatusCode]
	proto := protoIndex(r.Proto, r.ProtoMajor, r.ProtoMinor)
	b = append(b, proto<<5|status)
	if !statusOK {
		b = binary.AppendVarint(b, int64(r.StatusCode))
	}
	if proto == 0 {
		b = binary.AppendUvarint(b, uint64(len(r.Proto)))
		b = append(b, r.Proto...)
		b = binary.AppendVarint(b, int64(r.ProtoMajor))
		b = binary.AppendVarint(b, int64(r.ProtoMinor))
	}
	b = appendCompactValue(b, r.Request.Method, baseSec)
	b = appendCompactURL(b, r.Request.URL)
	b = appendCompactHeader(b, r.Header, baseSec)
	b = appendCompactHeader(b, r.Trailer, baseSec)
	b = appendCompactHeader(b, r.Request.Header, baseSec)
	if r.VaryIndex == nil {
		return append(b, 0)
	}
	b = binary.AppendUvarint(b, uint64(len(r.VaryIndex))+1)
	for _, name := range r.VaryIndex {
		if i, ok := compactNameIndex[name]; ok {
			b = binary.AppendUvarint(b, i<<1)
		} else {
			b = binary.AppendUvarint(b, uint64(len(name))<<1|1)
			b = append(b, name...)
		}
	}
	return b
}

// appendCompactURL appends a URL, its scheme folded into its length tag.
func appendCompactURL(b []byte, u string) []byte {
	kind := uint64(urlAsIs)
	if rest, ok := strings.CutPrefix(u, "https://"); ok {
		kind, u = urlHTTPS, rest
	} else if rest, ok := strings.CutPrefix(u, "http://"); ok {
		kind, u = urlHTTP, rest
	}
	b = binary.AppendUvarint(b, uint64(len(u))<<2|kind)
	return append(b, u...)
}

// appendCompactHeader appends a header: a count (0 for a nil map), then
// for each field a tag naming it (table index or literal length, and
// whether it has exactly one value), the value count unless it is one,
// and the values.
func appendCompactHeader(b []byte, h http.Header, baseSec int64) []byte {
	if h == nil {
		return append(b, 0)
	}
	b = binary.AppendUvarint(b, uint64(len(h))+1)
	for name, vs := range h {
		var tag uint64
		i, inTable := compactNameIndex[name]
		if inTable {
			tag = i << 2
		} else {
			tag = uint64(len(name))<<2 | 1
		}
		if len(vs) == 1 {
			tag |= 2
		}
		b = binary.AppendUvarint(b, tag)
		if !inTable {
			b = append(b, name...)
		}
		switch {
		case len(vs) == 1:
		case vs == nil:
			b = append(b, 0)
		default:
			b = binary.AppendUvarint(b, uint64(len(vs))+1)
		}
		for _, v := range vs {
			b = appendCompactValue(b, v, baseSec)
		}
	}
	return b
}

// appendCompactValue appends a value: a table entry, a date or decimal
// form, or the literal bytes.
func appendCompactValue(b []byte, v string, baseSec int64) []byte {
	if i, ok := compactValueIndex[v]; ok {
		return binary.AppendUvarint(b, i<<2)
	}
	if n, ok := parseDecimal(v); ok {
		b = append(b, formDecimal<<2|2)
		return binary.AppendUvarint(b, n)
	}
	if s, ok := parseIMFFixdate(v); ok {
		b = append(b, formDate<<2|2)
		return binary.AppendVarint(b, s-baseSec)
	}
	b = binary.AppendUvarint(b, uint64(len(v))<<1|1)
	return append(b, v...)
}
