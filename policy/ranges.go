package policy

import (
	"strconv"
	"strings"
)

// This file parses the range fields of RFC 9110 §14 for the bytes unit:
// Range (a request's single range) and Content-Range (a 206's one part).

// RangeSpec is a Range field value of the bytes unit holding one range
// (RFC 9110 §14.1.1): "first-last", "first-" or the suffix "-n".
type RangeSpec struct {
	// First is first-pos; -1 for a suffix range.
	First int64
	// Last is last-pos; -1 when absent ("first-") and for a suffix range.
	Last int64
	// Suffix is the suffix-length of a suffix range ("-n").
	Suffix int64
}

// ParseRange parses a Range field value of the bytes unit with a single
// range (RFC 9110 §14.1.1, §14.2). It reports false for anything else:
// another unit, several ranges (this cache answers a single part only) and
// invalid syntax, including "a last-pos value ... less than the first-pos"
// (§14.1.1), so that the caller ignores the field as §14.2 allows.
func ParseRange(v string) (RangeSpec, bool) {
	unit, set, found := strings.Cut(v, "=")
	if !found || !strings.EqualFold(strings.TrimSpace(unit), "bytes") {
		return RangeSpec{}, false
	}
	set = strings.TrimSpace(set)
	if set == "" || strings.Contains(set, ",") {
		return RangeSpec{}, false
	}
	first, last, found := strings.Cut(set, "-")
	if !found {
		return RangeSpec{}, false
	}
	first, last = strings.TrimSpace(first), strings.TrimSpace(last)
	if first == "" { // suffix-range
		n, ok := parsePos(last)
		if !ok {
			return RangeSpec{}, false
		}
		return RangeSpec{First: -1, Last: -1, Suffix: n}, true
	}
	a, ok := parsePos(first)
	if !ok {
		return RangeSpec{}, false
	}
	if last == "" {
		return RangeSpec{First: a, Last: -1}, true
	}
	b, ok := parsePos(last)
	if !ok || b < a {
		return RangeSpec{}, false
	}
	return RangeSpec{First: a, Last: b}, true
}

// Resolve returns the bytes first..last (inclusive) that r selects in a
// representation of length bytes (§14.1.1: a last-pos past the end and a
// suffix longer than the representation are clipped). satisfiable is
// false when r starts at or past the end, or is an empty suffix (§14.1.1:
// "the range-spec is satisfiable if ... first-pos is less than the current
// length", "a suffix-range ... with a non-zero suffix-length").
func (r RangeSpec) Resolve(length int64) (first, last int64, satisfiable bool) {
	if r.First < 0 {
		if r.Suffix == 0 || length <= 0 {
			return 0, 0, false
		}
		return max(length-r.Suffix, 0), length - 1, true
	}
	if r.First >= length {
		return 0, 0, false
	}
	last = length - 1
	if r.Last >= 0 {
		last = min(r.Last, length-1)
	}
	return r.First, last, true
}

// ContentRange is a Content-Range field value of the bytes unit describing
// one part (RFC 9110 §14.4): "bytes First-Last/Length", inclusive.
type ContentRange struct {
	First, Last int64
	// Length is the complete length; -1 when unknown ("*").
	Length int64
}

// ParseContentRange parses the Content-Range of a single-part 206: the bytes
// unit (case-insensitive, §14.1) and a range-resp "first-last/length" or
// "first-last/*" (§14.4). It reports false for anything else, including an
// unsatisfied-range ("*/length") and the invalid values §14.4 names: "a
// last-pos value less than its first-pos value, or a complete-length value
// less than or equal to its last-pos value".
func ParseContentRange(v string) (ContentRange, bool) {
	v = strings.Trim(v, " \t")
	unit, resp, found := strings.Cut(v, " ")
	if !found || !strings.EqualFold(unit, "bytes") {
		return ContentRange{}, false
	}
	incl, length, found := strings.Cut(resp, "/")
	if !found {
		return ContentRange{}, false
	}
	first, last, found := strings.Cut(incl, "-")
	if !found {
		return ContentRange{}, false
	}
	a, ok1 := parsePos(first)
	b, ok2 := parsePos(last)
	if !ok1 || !ok2 || b < a {
		return ContentRange{}, false
	}
	cr := ContentRange{First: a, Last: b, Length: -1}
	if length != "*" {
		n, ok := parsePos(length)
		if !ok || n <= b {
			return ContentRange{}, false
		}
		cr.Length = n
	}
	return cr, true
}

// Size is the number of bytes the part holds.
func (c ContentRange) Size() int64 { return c.Last - c.First + 1 }

// Complete reports whether the part is the whole representation.
func (c ContentRange) Complete() bool {
	return c.First == 0 && c.Length >= 0 && c.Last == c.Length-1
}

// String formats c as a Content-Range field value.
func (c ContentRange) String() string {
	b := make([]byte, 0, 48)
	b = append(b, "bytes "...)
	b = strconv.AppendInt(b, c.First, 10)
	b = append(b, '-')
	b = strconv.AppendInt(b, c.Last, 10)
	b = append(b, '/')
	if c.Length < 0 {
		b = append(b, '*')
	} else {
		b = strconv.AppendInt(b, c.Length, 10)
	}
	return string(b)
}

// parsePos parses 1*DIGIT into a non-negative int64.
func parsePos(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}
