package keys

import "strings"

// Body kinds in the key encoding: a body is keyed as what it was parsed as,
// so a raw body can never collide with the canonical form of another.
const (
	bodyNone = 'n' // no body, or a form body with nothing left to key
	bodyRaw  = 'r' // raw bytes: other media types, invalid or large bodies
	bodyJSON = 'j' // canonical JSON
	bodyForm = 'f' // normalised application/x-www-form-urlencoded
)

const defaultMaxBody = 1 << 20

func (c *Config) maxBody() int {
	if c == nil || c.MaxBody == 0 {
		return defaultMaxBody
	}
	return c.MaxBody
}

// mediaType returns the type/subtype of a Content-Type value, untouched
// (compare it case-insensitively).
func mediaType(contentType string) string {
	mt, _, _ := strings.Cut(contentType, ";")
	return strings.TrimSpace(mt)
}

// isJSON reports whether mt is application/json or a +json type (RFC 6839).
func isJSON(mt string) bool {
	if strings.EqualFold(mt, "application/json") {
		return true
	}
	return len(mt) > len("+json") && strings.EqualFold(mt[len(mt)-len("+json"):], "+json") &&
		strings.IndexByte(mt, '/') > 0
}

func isForm(mt string) bool { return strings.EqualFold(mt, "application/x-www-form-urlencoded") }

// normalizeBody returns the kind and the bytes that key body. JSON bodies
// are canonicalised (see jsonCanon) and form bodies normalised like a
// query, in both cases without their ignored parameters and with their
// secret ones moved to s.sec; other, unparseable and larger than MaxBody
// bodies are keyed as they are (ignored parameters then stay in).
func (c *Config) normalizeBody(s *state, contentType string, body []byte) (byte, []byte) {
	if len(body) == 0 {
		return bodyNone, nil
	}
	if len(body) > c.maxBody() {
		return bodyRaw, body
	}
	nsec, nsbuf := len(s.sec), len(s.sbuf)
	mt := mediaType(contentType)
	switch {
	case isJSON(mt):
		if out, err := c.canonicalJSON(s, body); err == nil {
			return bodyJSON, out
		}
		s.sec, s.sbuf = s.sec[:nsec], s.sbuf[:nsbuf]
	case isForm(mt):
		s.body = c.appendQuery(s, s.body[:0], string(body), false, 'B')
		if len(s.body) == 0 {
			return bodyNone, nil
		}
		return bodyForm, s.body
	}
	return bodyRaw, body
}
