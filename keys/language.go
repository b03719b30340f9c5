package keys

import "strings"

// Language filtering (RFC 4647 §3.3.1) of a Content-Language against an
// Accept-Language, on the ranges parseAccept reads: whether a stored
// variant is acceptable to a request, and which of several it prefers.

// AcceptsLanguage reports whether a representation whose Content-Language
// field value is contentLang is acceptable to a request whose
// Accept-Language field value (all field lines joined with ", ") is
// acceptLang, by RFC 4647 §3.3.1 basic filtering: a range matches a tag
// equal to it or starting with it followed by "-", case-insensitively, and
// "*" matches every tag. The most specific range that matches a tag gives
// its weight (the lowest, if the list repeats that range); a weight of 0
// means "not acceptable" (RFC 9110 §12.4.2). The representation is
// acceptable if one of its tags is.
//
// An empty acceptLang accepts every language, and an empty contentLang is
// acceptable to every request (RFC 9110 §8.5: content without
// Content-Language is meant for all audiences). A value that does not
// follow its grammar accepts, or is acceptable, to nothing, so a cache
// choosing among stored variants fetches instead of guessing.
func AcceptsLanguage(acceptLang, contentLang string) bool {
	s := getState()
	defer putState(s)
	if !s.parseAccept(acceptLanguage, acceptLang) {
		return false
	}
	return s.acceptsLanguage(contentLang)
}

// acceptsLanguage applies the ranges parsed into s.acc to contentLang.
func (s *state) acceptsLanguage(contentLang string) bool {
	if len(s.acc) == 0 || strings.Trim(contentLang, " \t,") == "" {
		return true // no preference, or content for every audience
	}
	q, _ := s.languageWeight(contentLang)
	return q > 0
}

// languageWeight is the weight (thousandths) the ranges parsed into s.acc
// give the best of the tags of contentLang, and the position in the list
// of the range that gives it. For each tag the most specific matching
// range decides (the lowest weight if a list names that range twice,
// whatever the order); the best tag has the highest weight, then the
// earliest range. The weight is -1 when no range matches a tag, or a tag
// does not follow the language tag grammar.
func (s *state) languageWeight(contentLang string) (q int16, pos int) {
	q, pos = -1, len(s.acc)
	for rest := contentLang; rest != ""; {
		var tag string
		tag, rest, _ = strings.Cut(rest, ",")
		if tag = strings.Trim(tag, " \t"); tag == "" {
			continue
		}
		if end, valid := languageRange(tag, 0, false); !valid || end != len(tag) {
			return -1, len(s.acc)
		}
		best, tq, tpos := -1, int16(0), 0
		for i, m := range s.acc {
			r := s.abuf[m.s:m.e]
			n := len(r)
			switch {
			case string(r) == "*":
				n = 0
			case !isLangPrefix(r, tag):
				continue
			}
			switch {
			case n > best:
				best, tq, tpos = n, m.q, i
			case n == best && m.q < tq:
				tq, tpos = m.q, i
			}
		}
		if best >= 0 && (tq > q || tq == q && tpos < pos) {
			q, pos = tq, tpos
		}
	}
	return q, pos
}

// PreferredLanguage returns the index of the member of contentLangs (the
// Content-Language field values of stored variants) that a request whose
// Accept-Language field value is acceptLang prefers, by the weights RFC
// 4647 §3.3.1 basic filtering gives them as AcceptsLanguage does: the
// highest weight above 0 wins; among equal weights, the one whose deciding
// range the request lists first (RFC 9110 §12.5.4 notes that the order is
// taken as a priority), then the earliest member. It is -1 when none is
// acceptable. Unlike AcceptsLanguage, it selects nothing for a request
// without Accept-Language or with a value that does not follow the
// grammar, and never selects a variant without Content-Language: a cache
// choosing a stored variant on the request's behalf (RFC 9111 §4.1) does so
// only on the request's stated preference, for content that states its
// language.
func PreferredLanguage(acceptLang string, contentLangs []string) int {
	s := getState()
	defer putState(s)
	if !s.parseAccept(acceptLanguage, acceptLang) || len(s.acc) == 0 {
		return -1
	}
	best, bestQ, bestPos := -1, int16(0), 0
	for i, cl := range contentLangs {
		if strings.Trim(cl, " \t,") == "" {
			continue
		}
		if q, pos := s.languageWeight(cl); q > bestQ || q > 0 && q == bestQ && pos < bestPos {
			best, bestQ, bestPos = i, q, pos
		}
	}
	return best
}

// isLangPrefix reports whether the lower-case range r matches tag by basic
// filtering: equal to it, or to a prefix followed by "-", ignoring case.
func isLangPrefix(r []byte, tag string) bool {
	if len(r) > len(tag) || len(r) < len(tag) && tag[len(r)] != '-' {
		return false
	}
	for i, c := range r {
		t := tag[i]
		if 'A' <= t && t <= 'Z' {
			t += 'a' - 'A'
		}
		if t != c {
			return false
		}
	}
	return true
}
