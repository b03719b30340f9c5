package policy

import (
	"time"

	"github.com/cachedhttp/cachedhttp/internal/memo"
)

var (
	dayNamesL = [...]string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}
)

// Case in HTTP-dates. RFC 9110 §5.6.7 says "HTTP-date is case sensitive.
// Note that Section 4.2 of [CACHING] relaxes this for cache recipients",
// and RFC 9111 §4.2 does so: "When calculating freshness, to avoid common
// problems in date parsing: Although all date formats are specified to be
// case-sensitive, a cache recipient SHOULD match the field value
// case-insensitively." RFC 9110 §5.6.7 adds that "Recipients of timestamp
// values are encouraged to be robust in parsing timestamps unless otherwise
// restricted by the field definition". So this package, a cache recipient,
// reads day names, month names and "GMT" without regard to case
// ("thu, 01 aug 2030 00:00:00 gMT" is a valid Expires): the case-sensitive
// reading would make such an Expires invalid, hence already expired (RFC
// 9111 §5.3), against the SHOULD above and against what browsers do. The
// rest of the grammar stays strict: fixed field widths and single spaces,
// the zone must be GMT ("a cache recipient SHOULD consider a date with a
// zone abbreviation other than "GMT" to be invalid", §4.2), and
// out-of-range fields are invalid.

// ParseHTTPDate parses an HTTP-date (RFC 9110 §5.6.7) in any of its three
// forms: IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"), the obsolete RFC 850
// form ("Sunday, 06-Nov-94 08:49:37 GMT") and asctime ("Sun Nov  6 08:49:37
// 1994"). Names and "GMT" are matched case-insensitively, as RFC 9111 §4.2
// asks of caches (see the note above); anything else outside the grammar,
// including out-of-range fields, is invalid. Two-digit RFC 850 years
// are read as 1970-2069 here, because the RFC's rule ("more than 50 years
// in the future" means the past century) needs the current time; the
// policy itself applies that rule against the response time. It does not
// allocate.
func ParseHTTPDate(s string) (time.Time, bool) {
	return parseHTTPDate(s, time.Time{})
}

// parseHTTPDate is ParseHTTPDate with the reference time for RFC 850
// two-digit years (zero: the fixed 1970-2069 window).
func parseHTTPDate(s string, ref time.Time) (time.Time, bool) {
	switch {
	case len(s) == 29 && s[3] == ',':
		return parseIMFFixdate(s)
	case len(s) == 24 && s[3] == ' ':
		return parseASCTime(s)
	case len(s) >= 30 && len(s) <= 33:
		return parseRFC850(s, ref)
	}
	return time.Time{}, false
}

func digits(s string) (int, bool) {
	if s == "" {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// equalFold compares ASCII s with name (both the same length to match)
// without regard to case, without allocating.
func equalFold(s, name string) bool {
	if len(s) != len(name) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if lower(s[i]) != lower(name[i]) {
			return false
		}
	}
	return true
}

// dayName reports whether s is a three-letter day name, in any case.
func dayName(s string) bool {
	if len(s) != 3 {
		return false
	}
	switch fold3(s) {
	case 'm'<<16 | 'o'<<8 | 'n', 't'<<16 | 'u'<<8 | 'e', 'w'<<16 | 'e'<<8 | 'd',
		't'<<16 | 'h'<<8 | 'u', 'f'<<16 | 'r'<<8 | 'i', 's'<<16 | 'a'<<8 | 't', 's'<<16 | 'u'<<8 | 'n':
		return true
	}
	return false
}

func lookupName(names []string, s string) bool {
	for _, n := range names {
		if equalFold(s, n) {
			return true
		}
	}
	return false
}

// fold3 packs the three ASCII bytes of s, lower-cased, into one number
// (letters only: any other byte makes it match no name).
func fold3(s string) uint32 {
	return uint32(lower(s[0]))<<16 | uint32(lower(s[1]))<<8 | uint32(lower(s[2]))
}

func month(s string) (time.Month, bool) {
	if len(s) != 3 {
		return 0, false
	}
	switch fold3(s) {
	case 'j'<<16 | 'a'<<8 | 'n':
		return time.January, true
	case 'f'<<16 | 'e'<<8 | 'b':
		return time.February, true
	case 'm'<<16 | 'a'<<8 | 'r':
		return time.March, true
	case 'a'<<16 | 'p'<<8 | 'r':
		return time.April, true
	case 'm'<<16 | 'a'<<8 | 'y':
		return time.May, true
	case 'j'<<16 | 'u'<<8 | 'n':
		return time.June, true
	case 'j'<<16 | 'u'<<8 | 'l':
		return time.July, true
	case 'a'<<16 | 'u'<<8 | 'g':
		return time.August, true
	case 's'<<16 | 'e'<<8 | 'p':
		return time.September, true
	case 'o'<<16 | 'c'<<8 | 't':
		return time.October, true
	case 'n'<<16 | 'o'<<8 | 'v':
		return time.November, true
	case 'd'<<16 | 'e'<<8 | 'c':
		return time.December, true
	}
	return 0, false
}

// clock parses "HH:MM:SS".
func clock(s string) (h, m, sec int, ok bool) {
	if len(s) != 8 || s[2] != ':' || s[5] != ':' {
		return 0, 0, 0, false
	}
	var ok1, ok2, ok3 bool
	h, ok1 = digits(s[0:2])
	m, ok2 = digits(s[3:5])
	sec, ok3 = digits(s[6:8])
	// second may be 60 for a leap second (RFC 9110 §5.6.7).
	if !ok1 || !ok2 || !ok3 || h > 23 || m > 59 || sec > 60 {
		return 0, 0, 0, false
	}
	return h, m, sec, true
}

func mkdate(year int, mon time.Month, day, h, m, sec int) (time.Time, bool) {
	// Reject days the month does not have (time.Date would normalise them).
	if mon < time.January || mon > time.December || day < 1 || day > daysIn(year, mon) {
		return time.Time{}, false
	}
	// The seconds since 1970 are computed directly (time.Date, called
	// twice, took most of a parse; dates are parsed several times per
	// revalidation). A leap second (60) is read as the first second of the
	// next minute, as time.Date would.
	u := daysSinceEpoch(year, mon, day)*86400 + int64(h)*3600 + int64(m)*60 + int64(sec)
	return time.Unix(u, 0).UTC(), true
}

// daysIn is the number of days of mon in year (proleptic Gregorian).
func daysIn(year int, mon time.Month) int {
	switch mon {
	case time.February:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}

// daysSinceEpoch is the number of days from 1970-01-01 to the given date
// (proleptic Gregorian; H. Hinnant's days_from_civil).
func daysSinceEpoch(year int, mon time.Month, day int) int64 {
	y, m := int64(year), int64(mon)
	if m <= 2 {
		y--
	}
	era := y
	if era < 0 {
		era -= 399
	}
	era /= 400
	yoe := y - era*400
	mp := (m + 9) % 12 // March is 0
	doy := (153*mp+2)/5 + int64(day) - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// parsedDates remembers the IMF-fixdates parsed last: a record's Date and
// Last-Modified are read at each lookup, at revalidation and when it is
// served. Two ways per set keep a Date and a Last-Modified that share one.
var parsedDates = memo.New[time.Time](16, false)

// memoSet is the parsedDates set of an IMF-fixdate s (29 bytes): the last
// digits of its second, minute and day, which differ between the dates a
// cache sees together.
func memoSet(s string) int {
	return int(s[24] + 3*s[21] + 5*s[6])
}

// parseIMFFixdate: "Sun, 06 Nov 1994 08:49:37 GMT". The answer for a
// string parsed lately is taken from parsedDates.
func parseIMFFixdate(s string) (time.Time, bool) {
	set := uint64(memoSet(s))
	if t, ok := parsedDates.Get(set, s); ok {
		return t, true
	}
	t, ok := parseIMFFixdateText(s)
	if ok {
		parsedDates.Put(set, s, t)
	}
	return t, ok
}

// parseIMFFixdateText parses an IMF-fixdate without parsedDates.
func parseIMFFixdateText(s string) (time.Time, bool) {
	if !dayName(s[0:3]) || s[4] != ' ' || s[7] != ' ' || s[11] != ' ' ||
		s[16] != ' ' || s[25] != ' ' || !equalFold(s[26:], "GMT") {
		return time.Time{}, false
	}
	day, ok := digits(s[5:7])
	if !ok {
		return time.Time{}, false
	}
	mon, ok := month(s[8:11])
	if !ok {
		return time.Time{}, false
	}
	year, ok := digits(s[12:16])
	if !ok {
		return time.Time{}, false
	}
	h, m, sec, ok := clock(s[17:25])
	if !ok {
		return time.Time{}, false
	}
	return mkdate(year, mon, day, h, m, sec)
}

// parseASCTime: "Sun Nov  6 08:49:37 1994".
func parseASCTime(s string) (time.Time, bool) {
	if !dayName(s[0:3]) || s[7] != ' ' || s[10] != ' ' || s[19] != ' ' {
		return time.Time{}, false
	}
	mon, ok := month(s[4:7])
	if !ok {
		return time.Time{}, false
	}
	dd := s[8:10]
	if dd[0] == ' ' {
		dd = dd[1:]
	}
	day, ok := digits(dd)
	if !ok {
		return time.Time{}, false
	}
	h, m, sec, ok := clock(s[11:19])
	if !ok {
		return time.Time{}, false
	}
	year, ok := digits(s[20:24])
	if !ok {
		return time.Time{}, false
	}
	return mkdate(year, mon, day, h, m, sec)
}

// parseRFC850: "Sunday, 06-Nov-94 08:49:37 GMT".
func parseRFC850(s string, ref time.Time) (time.Time, bool) {
	comma := -1
	for i := 0; i < len(s) && i < 10; i++ {
		if s[i] == ',' {
			comma = i
			break
		}
	}
	if comma < 0 || !lookupName(dayNamesL[:], s[:comma]) {
		return time.Time{}, false
	}
	r := s[comma+1:]
	// " 06-Nov-94 08:49:37 GMT"
	if len(r) != 23 || r[0] != ' ' || r[3] != '-' || r[7] != '-' || r[10] != ' ' ||
		r[19] != ' ' || !equalFold(r[20:], "GMT") {
		return time.Time{}, false
	}
	day, ok := digits(r[1:3])
	if !ok {
		return time.Time{}, false
	}
	mon, ok := month(r[4:7])
	if !ok {
		return time.Time{}, false
	}
	yy, ok := digits(r[8:10])
	if !ok {
		return time.Time{}, false
	}
	h, m, sec, ok := clock(r[11:19])
	if !ok {
		return time.Time{}, false
	}
	var year int
	if ref.IsZero() {
		year = 1900 + yy
		if yy < 70 {
			year = 2000 + yy
		}
	} else {
		// RFC 9110 §5.6.7: a two-digit year that appears to be more than
		// 50 years in the future is the most recent past year with the
		// same last two digits.
		century := ref.Year() / 100 * 100
		year = century + yy
		if year > ref.Year()+50 {
			year -= 100
		} else if year <= ref.Year()-50 {
			// e.g. ref 2099, "01" means 2101 is >50 years ahead: keep the
			// nearest year that is not more than 50 years in the future.
			year += 100
			if year > ref.Year()+50 {
				year -= 100
			}
		}
	}
	return mkdate(year, mon, day, h, m, sec)
}
