package keys

import (
	"bytes"
	"slices"
	"strings"
)

// param is one query or form parameter, as offsets into a state buffer.
type param struct {
	ns, ne, vs, ve int32
	eq             bool // "name=value" rather than "name"
	tag            byte // where a secret parameter came from
}

// paramClass says what a parameter name is to a Config.
type paramClass int

const (
	paramKept paramClass = iota
	paramIgnored
	paramSecret
)

// classify matches the decoded parameter name against IgnoredParams and
// SecretParams (exactly), then against the default secrets (ignoring ASCII
// case) unless NoDefaultSecrets is set. Ignoring wins when a name is in
// both IgnoredParams and a secret list: ignoring is an explicit choice.
func classify[T ~string | ~[]byte](c *Config, name T) paramClass {
	if c != nil {
		for _, p := range c.IgnoredParams {
			if string(name) == p {
				return paramIgnored
			}
		}
		for _, p := range c.SecretParams {
			if string(name) == p {
				return paramSecret
			}
		}
	}
	if c.defaultSecrets() && isDefaultSecret(name) {
		return paramSecret
	}
	return paramKept
}

// hasParamRules reports whether any parameter can be ignored or secret.
func (c *Config) hasParamRules() bool {
	return c.defaultSecrets() || len(c.IgnoredParams)+len(c.SecretParams) > 0
}

// classifyRaw classifies a parameter name as written in a query or form
// body, decoding it first only when it has escapes.
func (c *Config) classifyRaw(s *state, name string) paramClass {
	if !c.hasParamRules() {
		return paramKept
	}
	if strings.IndexByte(name, '%') < 0 && strings.IndexByte(name, '+') < 0 {
		return classify(c, name)
	}
	s.dec = appendFormDecoded(s.dec[:0], name)
	return classify(c, s.dec)
}

// appendQuery appends the normalised form of the query (or form body) raw:
// parameters split on "&" (empty ones dropped), each name and value
// percent-normalised with "+" read as a space, ignored parameters dropped,
// secret ones moved to s.sec (tagged with tag), and the rest sorted by name.
// The sort is stable: values of a repeated name keep their relative order,
// because "?id=2&id=1" may mean something else than "?id=1&id=2". A name
// without "=" stays distinct from "name=": some servers treat a bare flag
// differently. With question, a non-empty result is preceded by "?"; an
// empty one writes nothing, so "?" alone is the same as no query.
func (c *Config) appendQuery(s *state, dst []byte, raw string, question bool, tag byte) []byte {
	s.tmp = s.tmp[:0]
	s.par = s.par[:0]
	for raw != "" {
		var piece string
		piece, raw, _ = strings.Cut(raw, "&")
		if piece == "" {
			continue
		}
		name, value, eq := strings.Cut(piece, "=")
		switch c.classifyRaw(s, name) {
		case paramIgnored:
			continue
		case paramSecret:
			p := param{eq: eq, tag: tag}
			p.ns = int32(len(s.sbuf))
			s.sbuf = appendPercentNormalized(s.sbuf, name, &nameSet, true)
			p.ne = int32(len(s.sbuf))
			s.sbuf = appendPercentNormalized(s.sbuf, value, &valueSet, true)
			p.vs, p.ve = p.ne, int32(len(s.sbuf))
			s.sec = append(s.sec, p)
			continue
		}
		p := param{eq: eq}
		p.ns = int32(len(s.tmp))
		s.tmp = appendPercentNormalized(s.tmp, name, &nameSet, true)
		p.ne = int32(len(s.tmp))
		s.tmp = appendPercentNormalized(s.tmp, value, &valueSet, true)
		p.vs, p.ve = p.ne, int32(len(s.tmp))
		s.par = append(s.par, p)
	}
	if len(s.par) == 0 {
		return dst
	}
	sortParams(s.par, s.tmp)
	if question {
		dst = append(dst, '?')
	}
	for i, p := range s.par {
		if i > 0 {
			dst = append(dst, '&')
		}
		dst = append(dst, s.tmp[p.ns:p.ne]...)
		if p.eq {
			dst = append(dst, '=')
			dst = append(dst, s.tmp[p.vs:p.ve]...)
		}
	}
	return dst
}

// sortParams sorts ps stably by tag, then name (bytes of buf).
func sortParams(ps []param, buf []byte) {
	cmp := func(a, b param) int {
		if a.tag != b.tag {
			return int(a.tag) - int(b.tag)
		}
		return bytes.Compare(buf[a.ns:a.ne], buf[b.ns:b.ne])
	}
	if len(ps) > 16 {
		slices.SortStableFunc(ps, cmp)
		return
	}
	// Insertion sort: stable, and cheap for the usual handful of params.
	for i := 1; i < len(ps); i++ {
		for j := i; j > 0 && cmp(ps[j-1], ps[j]) > 0; j-- {
			ps[j-1], ps[j] = ps[j], ps[j-1]
		}
	}
}
