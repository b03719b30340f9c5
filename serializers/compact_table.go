package serializers

import (
	"net/http"
	"strconv"
	"time"
)

// The static tables of the compact codec are part of format version 2:
// FORMAT.md lists them and TestCompactTablesMatchFORMAT checks the lists
// against these. Never change or reorder an entry; a new entry is a new
// format version.
//
// The first 32 entries of compactNames and compactValues are encoded in one
// byte and hold the most common strings; the rest take two.

// compactNames are header field names in Go's canonical form
// (http.CanonicalHeaderKey): the names of the HPACK static table (RFC 7541
// Appendix A) and the fields most common in responses and requests.
var compactNames = [...]string{
	// 0-31: one byte
	"Content-Type", "Cache-Control", "Content-Length", "Date", "Etag", "Last-Modified",
	"Expires", "Vary", "Server", "Age", "Accept-Ranges", "Content-Encoding", "Set-Cookie",
	"Strict-Transport-Security", "X-Content-Type-Options", "Access-Control-Allow-Origin",
	"Accept", "Accept-Encoding", "Accept-Language", "User-Agent", "X-Frame-Options",
	"Content-Security-Policy", "Referrer-Policy", "Alt-Svc", "Via", "X-Cache", "Link",
	"Location", "X-Request-Id", "Content-Disposition", "Content-Language", "Pragma",
	// 32-: two bytes
	"X-Xss-Protection", "Permissions-Policy", "Cf-Cache-Status", "Cf-Ray", "Nel", "Report-To",
	"X-Served-By", "X-Timer", "X-Powered-By", "Content-Range", "Content-Location",
	"Access-Control-Allow-Credentials", "Access-Control-Allow-Headers",
	"Access-Control-Allow-Methods", "Access-Control-Expose-Headers", "Access-Control-Max-Age",
	"Timing-Allow-Origin", "Cross-Origin-Resource-Policy", "Cross-Origin-Opener-Policy",
	"Cross-Origin-Embedder-Policy", "Server-Timing", "Retry-After", "Allow", "Www-Authenticate",
	"Proxy-Authenticate", "Refresh", "Authorization", "Cookie", "If-None-Match",
	"If-Modified-Since", "If-Match", "If-Range", "If-Unmodified-Since", "Range", "Referer",
	"Origin", "Host", "From", "Expect", "Max-Forwards", "Proxy-Authorization", "Accept-Charset",
	"Transfer-Encoding", "Connection", "Keep-Alive", "Upgrade", "Te", "Trailer", "Warning",
	"X-Forwarded-For", "X-Forwarded-Proto", "X-Amz-Cf-Id", "X-Amz-Cf-Pop", "X-Amz-Request-Id",
	"X-Cache-Hits", "Cdn-Cache-Control", "Surrogate-Control", "Cache-Status", "Sec-Fetch-Dest",
	"Sec-Fetch-Mode", "Sec-Fetch-Site", "Sec-Ch-Ua", "Sec-Ch-Ua-Mobile", "Sec-Ch-Ua-Platform",
	"Upgrade-Insecure-Requests", "Dnt", "X-Requested-With", "Grpc-Status",
}

// compactValues are common header field values and request methods.
var compactValues = [...]string{
	// 0-31: one byte
	"GET", "HEAD", "POST", "gzip", "br", "*/*", "bytes", "nosniff", "application/json",
	"text/html; charset=utf-8", "application/octet-stream", "no-cache", "max-age=0",
	"public, max-age=3600", "max-age=3600", "public, max-age=31536000", "max-age=31536000",
	"Accept-Encoding", "Origin", "text/plain; charset=utf-8", "application/json; charset=utf-8",
	"text/html", "text/css", "application/javascript", "image/png", "image/jpeg", "no-store",
	"private", "public", "SAMEORIGIN", "DENY", "Go-http-client/1.1",
	// 32-: two bytes
	"Go-http-client/2.0", "gzip, deflate", "gzip, deflate, br", "gzip, deflate, br, zstd",
	"identity", "deflate", "zstd", "*", "text/plain", "text/javascript",
	"text/javascript; charset=utf-8", "application/javascript; charset=utf-8",
	"text/css; charset=utf-8", "image/webp", "image/svg+xml", "image/gif", "image/avif",
	"image/x-icon", "font/woff2", "application/xml", "text/xml",
	"application/x-www-form-urlencoded", "application/pdf", "application/wasm",
	"application/manifest+json", "text/event-stream", "must-revalidate",
	"no-cache, no-store, must-revalidate", "no-store, no-cache, must-revalidate",
	"private, max-age=0", "max-age=0, private, must-revalidate",
	"public, max-age=31536000, immutable", "max-age=31536000, immutable",
	"public, max-age=86400", "max-age=86400", "public, max-age=604800", "max-age=604800",
	"public, max-age=300", "max-age=300", "public, max-age=60", "max-age=60", "max-age=2592000",
	"public, max-age=0", "no-cache, private", "Accept", "Cookie", "User-Agent", "Accept-Language",
	"1; mode=block", "strict-origin-when-cross-origin", "no-referrer",
	"no-referrer-when-downgrade", "same-origin", "same-site", "cross-origin", "HIT", "MISS",
	"cloudflare", "nginx", "Apache", "keep-alive", "close", "PUT", "DELETE", "PATCH", "OPTIONS",
	"max-age=31536000; includeSubDomains", "max-age=31536000; includeSubDomains; preload",
	"max-age=63072000; includeSubDomains; preload", "en-US,en;q=0.9", "en", "true",
	"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
	"application/json, text/plain, */*", `h3=":443"; ma=86400`,
}

// compactStatuses are the status codes of the line byte, 1 to 31 (0 means
// a literal status follows): the statuses heuristically cacheable by
// default (RFC 9110 §15.1), then others that are stored. 0 is the status
// of a Vary index.
var compactStatuses = [...]int{
	1: 200, 0, 204, 206, 301, 302, 304, 404, 203, 300, 307, 308, 405, 410, 414, 501,
	201, 202, 303, 400, 401, 403, 429, 451, 500, 502, 503, 504,
}

// compactProto is one entry of the protocol part of the line byte.
type compactProto struct {
	proto        string
	major, minor int
}

// compactProtos are the protocol versions of the line byte, 1 to 5 (0
// means a literal protocol follows; 6 and 7 are invalid).
var compactProtos = [...]compactProto{
	1: {"HTTP/1.1", 1, 1}, {"HTTP/2.0", 2, 0}, {"", 0, 0}, {"HTTP/1.0", 1, 0}, {"HTTP/3.0", 3, 0},
}

// Value forms: a value tag whose two low bits are 10 is a form, numbered by
// the rest of the tag.
const (
	// formDate is an IMF-fixdate (RFC 9110 §5.6.7) stored as a signed
	// varint of seconds relative to the record's base second.
	formDate = 0
	// formDecimal is a non-negative decimal integer without leading zeros
	// stored as an unsigned varint.
	formDecimal = 1
)

// Lookup maps for the encoder, built from the tables.
var (
	compactNameIndex   = tableIndex(compactNames[:])
	compactValueIndex  = tableIndex(compactValues[:])
	compactStatusIndex = func() map[int]byte {
		m := make(map[int]byte, len(compactStatuses))
		for i := 1; i < len(compactStatuses); i++ {
			m[compactStatuses[i]] = byte(i)
		}
		return m
	}()
)

func tableIndex(t []string) map[string]uint64 {
	m := make(map[string]uint64, len(t))
	for i, s := range t {
		m[s] = uint64(i)
	}
	return m
}

// protoIndex returns the table entry of a protocol version, 0 if none.
func protoIndex(proto string, major, minor int) byte {
	for i := 1; i < len(compactProtos); i++ {
		if p := compactProtos[i]; p.proto == proto && p.major == major && p.minor == minor {
			return byte(i)
		}
	}
	return 0
}

// imfFixdateLen is the length of an IMF-fixdate with a four-digit year.
const imfFixdateLen = len(http.TimeFormat)

// parseIMFFixdate returns the Unix seconds of s if s is an IMF-fixdate
// (RFC 9110 §5.6.7, "Sun, 06 Nov 1994 08:49:37 GMT") that
// appendIMFFixdate gives back byte for byte, so that the form round-trips
// exactly: every field in range (no 31 Feb, no 24:00, no leap second) and
// the weekday right. Anything else (another date format, a wrong weekday)
// reports false and is stored as a literal.
func parseIMFFixdate(s string) (int64, bool) {
	if len(s) != imfFixdateLen || s[3] != ',' || s[4] != ' ' || s[7] != ' ' || s[11] != ' ' ||
		s[16] != ' ' || s[19] != ':' || s[22] != ':' || s[25:] != " GMT" {
		return 0, false
	}
	ok := true
	num := func(a string) int64 {
		n := int64(0)
		for i := 0; i < len(a); i++ {
			if a[i] < '0' || a[i] > '9' {
				ok = false
			}
			n = n*10 + int64(a[i]-'0')
		}
		return n
	}
	day, year := num(s[5:7]), num(s[12:16])
	hour, minute, sec := num(s[17:19]), num(s[20:22]), num(s[23:25])
	month := int64(0)
	for i, m := range monthNames {
		if s[8:11] == m {
			month = int64(i) + 1
		}
	}
	if !ok || month == 0 || day < 1 || day > daysIn(month, year) || hour > 23 || minute > 59 || sec > 59 {
		return 0, false
	}
	days := daysFromCivil(year, month, day)
	if dayNames[((days%7)+11)%7] != s[:3] { // 1970-01-01 was a Thursday
		return 0, false
	}
	return days*86400 + hour*3600 + minute*60 + sec, true
}

// daysIn returns the number of days of month in year (proleptic Gregorian).
func daysIn(month, year int64) int64 {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil returns the days from 1970-01-01 to the given date
// (proleptic Gregorian), after Howard Hinnant's days_from_civil.
func daysFromCivil(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 {
		era = (y - 399) / 400
	}
	yoe := y - era*400
	mp := (m + 9) % 12 // March is 0
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

var (
	monthNames = [12]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}
	dayNames   = [7]string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}
)

// appendIMFFixdate appends the IMF-fixdate of Unix second u, as
// time.Time.AppendFormat(http.TimeFormat) would, without parsing a layout.
func appendIMFFixdate(b []byte, u int64) []byte {
	t := time.Unix(u, 0).UTC()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		return t.AppendFormat(b, http.TimeFormat)
	}
	hour, minute, sec := t.Clock()
	two := func(b []byte, n int) []byte { return append(b, byte('0'+n/10), byte('0'+n%10)) }
	b = append(b, dayNames[t.Weekday()]...)
	b = append(b, ',', ' ')
	b = two(b, day)
	b = append(b, ' ')
	b = append(b, monthNames[month-1]...)
	b = append(b, ' ')
	b = two(b, year/100)
	b = two(b, year%100)
	b = append(b, ' ')
	b = two(b, hour)
	b = append(b, ':')
	b = two(b, minute)
	b = append(b, ':')
	b = two(b, sec)
	return append(b, " GMT"...)
}

// parseDecimal returns the value of s if s is a non-negative decimal
// integer in canonical form (no sign, no leading zero unless s is "0") that
// fits in a uint64.
func parseDecimal(s string) (uint64, bool) {
	if s == "" || len(s) > 20 || (s[0] == '0' && len(s) > 1) || s[0] < '0' || s[0] > '9' {
		return 0, false
	}
	n, err := strconv.ParseUint(s, 10, 64)
	return n, err == nil
}

// decimalLen is the length of the decimal form of n.
func decimalLen(n uint64) int {
	l := 1
	for n >= 10 {
		n /= 10
		l++
	}
	return l
}
