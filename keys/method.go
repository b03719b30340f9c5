package keys

import (
	"net/http"
	"strings"
)

// overrideHeaders are the fields with which clients tunnel a method through
// POST (canonical, sorted). Servers that honour one apply its method
// instead of the request's, so a POST overridden to DELETE is another
// request than the plain POST: the key holds both the request method and
// every override present. Servers read the value case-insensitively, so it
// is keyed in upper case.
var overrideHeaders = [...]string{"X-Http-Method", "X-Http-Method-Override", "X-Method-Override"}

// appendOverrides appends an 'o' field for each override header of h.
// Requests without one get no field, so their keys are what they were
// before overrides were keyed.
func (s *state) appendOverrides(dst []byte, h http.Header) []byte {
	if s.known&knownOverrides == 0 {
		return dst
	}
	for _, name := range overrideHeaders {
		if !s.present(h, name) {
			continue
		}
		dst = appendField(dst, 'o', name)
		var start int
		dst, start = beginField(dst, 'v')
		dst = s.appendValue(dst, h, name)
		upperASCII(dst[start:])
		dst = endField(dst, start)
	}
	return dst
}

func upperASCII(b []byte) {
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - ('a' - 'A')
		}
	}
}

// EffectiveMethod returns the method a server that honours method override
// headers applies to a request with method and header h: the first line of
// X-HTTP-Method-Override, else X-HTTP-Method, else X-Method-Override, in
// upper case and without surrounding whitespace; the method itself when
// none is present or the value is empty. Caches use it to treat a POST
// overridden to DELETE as the unsafe request it may be (RFC 9111 §4.4);
// keys never conflate it with either method (see Config.Create).
func EffectiveMethod(method string, h http.Header) string {
	if len(h) == 0 {
		return method
	}
	// One pass over h finds each name's first line as firstValue would:
	// under its canonical key, else under the least other spelling.
	var lines [len(overridePriority)]struct {
		key, v string
		canon  bool
	}
	for k, vs := range h {
		if len(vs) == 0 {
			continue
		}
		for i, name := range overridePriority {
			if len(k) != len(name) || !strings.EqualFold(k, name) {
				continue
			}
			l := &lines[i]
			switch {
			case k == name:
				l.key, l.v, l.canon = k, vs[0], true
			case !l.canon && (l.key == "" || k < l.key):
				l.key, l.v = k, vs[0]
			}
		}
	}
	for _, l := range lines {
		if v := strings.Trim(l.v, " \t"); v != "" {
			return strings.ToUpper(v)
		}
	}
	return method
}

// overridePriority is overrideHeaders in the order EffectiveMethod reads
// them.
var overridePriority = [...]string{"X-Http-Method-Override", "X-Http-Method", "X-Method-Override"}
