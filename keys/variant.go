package keys

import (
	"encoding/hex"
	"net/http"
	"slices"
	"strings"
)

// variantSep separates a variant key's primary key from its variant hash.
const variantSep = '|'

// SplitVariant splits a variant key made by Variant into its primary key
// and variant hash; ok is false for a key that is not a variant key.
func SplitVariant(key string) (primary, variant string, ok bool) {
	i := strings.LastIndexByte(key, variantSep)
	if i < 0 || len(key)-i != VariantLen || !isHex(key[i+1:]) {
		return key, "", false
	}
	return key[:i], key[i+1:], true
}

// IsVariantOf reports whether key is a variant key of primary.
func IsVariantOf(key, primary string) bool {
	p, _, ok := SplitVariant(key)
	return ok && p == primary
}

// JoinVariant joins a primary key and a (possibly abbreviated) variant
// hash, as SplitVariant splits them. It is for displaying and parsing keys;
// Variant computes real ones.
func JoinVariant(primary, variant string) string {
	return primary + string(variantSep) + variant
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// VariantLen is how much Variant adds to a primary key: "|" and 64 hex
// digits, so the secondary key of a Create key is KeyLen+VariantLen long.
const VariantLen = 1 + 2*32

// Variant is like the package-level Variant, except that the values of
// credential headers named by vary (Vary: Cookie, say) are replaced by their
// HMAC under c.Secret, so a secondary key never hashes a credential
// unkeyed.
//
// The values of Accept, Accept-Charset, Accept-Encoding and
// Accept-Language are keyed in the canonical form their grammar allows
// (RFC 9111 §4.1; RFC 9110 §12.5): "gzip;q=1.0, BR" selects the same
// variant as "gzip, br", and "de;q=0.5, en" as "en, de;q=0.5", while "en,
// de" and "de, en" stay apart (see appendAccept). A value that does not
// follow its field's grammar is keyed like any other field: combined and
// whitespace-normalised, and tagged so it can never equal a canonical
// form.
func (c *Config) Variant(primary string, vary []string, h http.Header) string {
	s := getState()
	defer putState(s)
	s.h.Reset()
	s.scanHeader(h)

	// Vary names are case-insensitive and their order carries no meaning:
	// sort and deduplicate them so every listing selects the same variant.
	s.names = s.names[:0]
	for _, v := range vary {
		// Accept a field value ("Accept, Accept-Encoding") as well as names.
		for v != "" {
			var n string
			n, v, _ = strings.Cut(v, ",")
			if n = strings.TrimSpace(n); n != "" {
				s.names = append(s.names, http.CanonicalHeaderKey(n))
			}
		}
	}
	slices.Sort(s.names)
	s.names = slices.Compact(s.names)

	b := append(s.buf[:0], variantDomain...)
	b = appendField(b, 'p', primary)
	for _, name := range s.names {
		var start int
		b, start = beginField(b, 'N')
		b = appendLower(b, name)
		b = endField(b, start)
		if !s.present(h, name) {
			// An absent field is not the same as an empty one.
			b = append(b, 0)
			continue
		}
		b = append(b, 1)
		if c.isCredential(name) {
			s.tmp = append(s.tmp[:0], varCredDomain...)
			s.tmp = s.appendValue(s.tmp, h, name)
			b = append(b, 'c')
			b = append(b, s.hmacSum(c.secret(), s.tmp)...)
			clear(s.tmp)
			continue
		}
		if k := acceptKindOf(name); k != acceptNone && s.parseAcceptField(k, h, name) {
			b, start = beginField(b, 'n')
			b = s.appendAccept(b)
			b = endField(b, start)
			continue
		}
		b, start = beginField(b, 'v')
		b = s.appendValue(b, h, name)
		b = endField(b, start)
	}
	s.h.Write(b)
	s.buf = b

	var hx [VariantLen - 1]byte
	hex.Encode(hx[:], s.h.Sum(s.sum[:0]))
	var out strings.Builder
	out.Grow(len(primary) + VariantLen)
	out.WriteString(primary)
	out.WriteByte(variantSep)
	out.Write(hx[:])
	return out.String()
}

func variant(primary string, vary []string, h http.Header) string {
	return (*Config)(nil).Variant(primary, vary, h)
}
