package cachedhttp

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/cachedhttp/cachedhttp/keys"
	"github.com/cachedhttp/cachedhttp/models"
)

// Selecting a stored variant by language (RFC 9111 §4.1; RFC 9110
// §12.5.4; RFC 4647 §3.3.1). A response that varies on Accept-Language is
// stored under the variant key of the request's normalised field values,
// so a request that words its preference differently misses even when a
// stored variant is in a language it accepts. When no variant matches
// exactly, the cache serves, while fresh, the stored variant whose
// Content-Language the request's Accept-Language prefers, among those
// whose other Vary fields match the request.
//
// The candidates are listed in the Vary index record (the primary key's
// record), in its Header under variantsField, newest first and at most
// maxListedVariants: one line per variant, "<variant hash> <rest hash>
// <Content-Language>", where the rest hash is the variant hash of the
// other Vary fields alone. The list is rewritten with each variant stored
// (a concurrent store may drop another's line: that variant is then only
// found by its exact key). A listed variant that is gone, or no longer
// acceptable, is a miss.

// variantsField is the Header field of a Vary index record listing the
// variants stored with a Content-Language.
const variantsField = "Cachedhttp-Variants"

// maxListedVariants bounds the list.
const maxListedVariants = 16

// acceptLanguage is the Vary name (lower case, as policy gives it) that
// enables selection by language.
const acceptLanguage = "accept-language"

// restHash is the variant hash of h's values of the Vary fields other than
// Accept-Language: two requests with the same rest hash differ at most in
// Accept-Language. Half the hash is kept, enough to tell variants apart.
func (t *Transport) restHash(primary string, vary []string, h http.Header) string {
	rest := make([]string, 0, len(vary))
	for _, n := range vary {
		if n != acceptLanguage {
			rest = append(rest, n)
		}
	}
	_, hash, _ := keys.SplitVariant(t.keys.Variant(primary, rest, h))
	return hash[:len(hash)/2]
}

// indexRecord is the Vary index to store with the variant stored under key
// (its Vary names vary, its request's header reqH, its stored header
// respH): with the variant list updated when it varies on Accept-Language.
func (t *Transport) indexRecord(l lookup, key string, vary []string, reqH, respH http.Header, created time.Time) *models.Response {
	idx := &models.Response{VaryIndex: vary, Created: created}
	if !slices.Contains(vary, acceptLanguage) {
		return idx
	}
	_, hash, ok := keys.SplitVariant(key)
	if !ok {
		return idx
	}
	var list []string
	if lang := contentLanguage(respH); lang != "" {
		list = append(list, hash+" "+t.restHash(l.primary, vary, reqH)+" "+lang)
	}
	if l.index != nil && slices.Equal(l.index.VaryIndex, vary) {
		for _, line := range l.index.Header[variantsField] {
			if len(list) == maxListedVariants {
				break
			}
			if !strings.HasPrefix(line, hash+" ") {
				list = append(list, line)
			}
		}
	}
	if len(list) > 0 {
		idx.Header = http.Header{variantsField: list}
	}
	return idx
}

// contentLanguage is h's Content-Language, its field lines joined.
func contentLanguage(h http.Header) string {
	return strings.TrimSpace(strings.Join(h.Values("Content-Language"), ", "))
}

// byLanguage returns the key and record of the stored variant that the
// index lists and req's Accept-Language prefers (keys.PreferredLanguage),
// among those whose other Vary fields match req; nil when there is none.
// RFC 9111 §4.1 lets a cache use a stored response when "the selecting
// header fields nominated by the stored response ... match"; RFC 9110
// §12.5.4 makes Accept-Language a statement of acceptable languages, which
// a variant whose Content-Language it accepts satisfies. Only the most
// preferred candidate is read: if it is gone, the request misses.
func (t *Transport) byLanguage(ctx context.Context, primary string, index *models.Response, req *http.Request) (string, *models.Response) {
	lines := index.Header[variantsField]
	al := req.Header.Values("Accept-Language")
	if len(lines) == 0 || len(al) == 0 || !slices.Contains(index.VaryIndex, acceptLanguage) {
		return "", nil
	}
	if t.guard.failing() {
		// The variant's own read may just have failed or run out of
		// budget: a store in trouble costs a vary miss no more reads
		// than it did without selection by language.
		return "", nil
	}
	accept := strings.Join(al, ", ")
	rest := t.restHash(primary, index.VaryIndex, req.Header)
	hashes := make([]string, 0, len(lines))
	langs := make([]string, 0, len(lines))
	for _, line := range lines {
		hash, tail, ok := strings.Cut(line, " ")
		r, lang, ok2 := strings.Cut(tail, " ")
		if !ok || !ok2 || r != rest || len(hash) != keys.VariantLen-1 {
			continue
		}
		hashes, langs = append(hashes, hash), append(langs, lang)
	}
	i := keys.PreferredLanguage(accept, langs)
	if i < 0 {
		return "", nil
	}
	key := keys.JoinVariant(primary, hashes[i])
	rec := t.get(ctx, key)
	if rec == nil || rec.IsVaryIndex() || rec.StatusCode == http.StatusPartialContent ||
		keys.PreferredLanguage(accept, []string{contentLanguage(rec.Header)}) != 0 {
		return "", nil // gone, replaced, or a part (RFC 9111 §3.3)
	}
	return key, rec
}

// ownVariant turns l, whose record was selected by language, back into the
// miss of the request's own variant.
func (l lookup) ownVariant() lookup {
	l.key, l.rec, l.varyMiss, l.byLanguage = l.own, nil, true, false
	return l
}
