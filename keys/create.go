package keys

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"net/http"
	"net/url"
	"unsafe"
)

// Domain separation strings: a key hash, a credential HMAC and a variant
// hash can never be computed over the same input.
const (
	keyDomain     = "cachedhttp key " + Version + "\x00"
	credDomain    = "cachedhttp credentials " + Version + "\x00"
	varCredDomain = "cachedhttp variant credential " + Version + "\x00"
	variantDomain = "cachedhttp variant " + Version + "." + VariantVersion + "\x00"
)

// VariantVersion numbers the secondary-key scheme within Version: variant
// keys can change while primary keys stay, because a changed variant key
// only misses a variant its Vary index still names, and the origin's
// response replaces it. It is part of the variant hash, so records under
// keys of an older scheme are never found again (they expire).
//
//	1  whitespace-normalised values
//	2  Accept, Accept-Charset, Accept-Encoding and Accept-Language values
//	   in canonical form; the default secret headers hashed under the
//	   secret like other credentials
const VariantVersion = "2"

// KeyLen is the length of every key Create returns: Version, ":" and 64
// lower-case hex digits of a SHA-256. Hex rather than base64 keeps keys
// safe on case-insensitive file systems.
const KeyLen = len(Version) + 1 + 2*32

// create computes the key as SHA-256 over a sequence of tagged,
// length-prefixed fields (see appendField), in this order:
//
//	'm' method, upper case, HEAD as GET
//	'o' for each method override header present (overrideHeaders): name,
//	    then 'v' and its value in upper case
//	'u' normalised URL (appendURL)
//	'h' normalised req.Host, only when it names another authority
//	'A' allHeadersScheme, only when MatchHeaders has MatchAll
//	'M' for each matched header, by canonical name: name, presence, value
//	'b' body kind and normalised body (8-byte length)
//	'c' HMAC-SHA256(Secret, credentials), only when there are credentials
func (c *Config) create(req *http.Request, body []byte) string {
	s := getState()
	defer putState(s)
	s.h.Reset()
	s.sec, s.sbuf = s.sec[:0], s.sbuf[:0]

	var (
		method = ""
		u      *url.URL
		h      http.Header
		host   string
	)
	if req != nil {
		method, u, h, host = req.Method, req.URL, req.Header, req.Host
	}
	b := append(s.buf[:0], keyDomain...)

	b, start := beginField(b, 'm')
	b = appendMethod(b, method)
	b = endField(b, start)

	s.scanHeader(h)
	b = s.appendOverrides(b, h)

	b, start = beginField(b, 'u')
	scheme := ""
	if u != nil {
		scheme = u.Scheme
		b = c.appendURL(s, b, u)
	}
	b = endField(b, start)

	// The Host field counts only when it names another authority than the
	// URL: equal strings normalise alike, so they are not compared again.
	if host != "" && (u == nil || host != u.Host) {
		s.tmp = s.tmp[:0]
		if u != nil {
			s.tmp = appendAuthority(s.tmp, scheme, u.Host)
		}
		n := len(s.tmp)
		s.tmp = appendAuthority(s.tmp, scheme, host)
		if !bytes.Equal(s.tmp[:n], s.tmp[n:]) {
			b = appendField(b, 'h', s.tmp[n:])
		}
	}

	if c.matchesAll() {
		b = appendField(b, 'A', allHeadersScheme)
	}
	for _, name := range c.matchNames(s, h) {
		b = appendField(b, 'M', name)
		if !s.present(h, name) {
			b = append(b, 0)
			continue
		}
		b = append(b, 1)
		b, start = beginField(b, 'v')
		b = s.appendValue(b, h, name)
		b = endField(b, start)
	}

	ct := s.first(h, "Content-Type")
	kind, nb := c.normalizeBody(s, ct, body)
	b = append(b, 'b', kind)
	b = binary.BigEndian.AppendUint64(b, uint64(len(nb)))
	s.buf = b

	cred := c.appendCredentials(s, u, h)
	if !cred && len(nb) == 0 && len(b) <= maxMemoInput {
		// The whole input is b: a request asked before has its key kept.
		if testMemoInput != nil {
			testMemoInput(b)
		}
		in := unsafe.String(unsafe.SliceData(b), len(b)) // Put keeps a copy
		fp := keyMemo.Sum(in)
		if key, ok := keyMemo.Get(fp, in); ok {
			return key
		}
		s.h.Write(b)
		key := s.key()
		keyMemo.Put(fp, in, key)
		return key
	}
	s.h.Write(b)
	s.h.Write(nb)
	if cred {
		mac := s.hmacSum(c.secret(), s.cred)
		b = append(b[:0], 'c')
		b = append(b, mac...)
		s.h.Write(b)
	}
	return s.key()
}

// key returns the key whose hash is s.h's.
func (s *state) key() string {
	var key [KeyLen]byte
	copy(key[:], Version+":")
	hex.Encode(key[len(Version)+1:], s.h.Sum(s.sum[:0]))
	return string(key[:])
}

func (c *Config) secret() []byte {
	if c == nil {
		return nil
	}
	return c.Secret
}

// appendMethod appends the method in upper case; an empty method is GET
// (as in net/http) and HEAD is keyed as GET (RFC 9110 §9.3.2).
func appendMethod(dst []byte, m string) []byte {
	switch m {
	case "", http.MethodGet, http.MethodHead:
		return append(dst, http.MethodGet...)
	}
	start := len(dst)
	for i := 0; i < len(m); i++ {
		c := m[i]
		if 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		}
		dst = append(dst, c)
	}
	if string(dst[start:]) == http.MethodHead {
		dst = append(dst[:start], http.MethodGet...)
	}
	return dst
}

// appendCredentials builds the credential message in s.cred: credential
// headers present (by canonical name), URL userinfo and secret parameters
// (sorted by origin, then name, stably). It reports whether there was any
// credential; without one no HMAC is computed.
func (c *Config) appendCredentials(s *state, u *url.URL, h http.Header) bool {
	m := append(s.cred[:0], credDomain...)
	found := false
	var names []string
	if s.known&knownCredentials != 0 || c != nil && len(c.CredentialHeaders) > 0 {
		names = c.credentialNames(s)
	}
	for _, name := range names {
		if !s.present(h, name) {
			continue
		}
		found = true
		m = appendField(m, 'H', name)
		var start int
		m, start = beginField(m, 'v')
		m = s.appendValue(m, h, name)
		m = endField(m, start)
	}
	if u != nil && u.User != nil {
		found = true
		m = appendField(m, 'U', u.User.Username())
		if pw, ok := u.User.Password(); ok {
			m = appendField(m, 'P', pw)
		}
	}
	if len(s.sec) > 0 {
		found = true
		sortParams(s.sec, s.sbuf)
		for _, p := range s.sec {
			m = appendField(m, p.tag, s.sbuf[p.ns:p.ne])
			if p.eq {
				m = appendField(m, '=', s.sbuf[p.vs:p.ve])
			}
		}
	}
	s.cred = m
	return found
}
