package policy

import (
	"net/http"
	"strings"
)

// Targeted cache control (RFC 9213). A shared cache with a target list
// (Policy.TargetedFields, such as ["CDN-Cache-Control"]) reads a
// response's caching policy from the first of those fields that is present
// with a valid, non-empty value, and then ignores Cache-Control and Expires
// altogether (§2.2: the cache "MUST select the first (in target-list order)
// field with a valid, non-empty value and use its value to determine the
// caching policy for the response, and it MUST ignore the Cache-Control and
// Expires header fields in that response, unless no valid, non-empty value
// is available from the listed header fields").
//
// The field keeps the semantics of Cache-Control (§2: "the same semantics
// as the Cache-Control response header field"), so its directives fill the
// same Directives and every rule of this package applies to them: max-age,
// s-maxage (this cache is shared), no-store, no-cache, private (with their
// field lists), public, must-revalidate, proxy-revalidate, must-understand,
// immutable, stale-while-revalidate and stale-if-error.
//
// The stored response keeps the targeted field, as it keeps every field it
// does not have to drop: RFC 9213 §3 expects a CDN to forward it ("CDN
// caches that use CDN-Cache-Control will typically forward this header so
// that downstream CDN caches can use it as well"), and Lookup, StaleIfError
// and Freshen read a record's policy again from its stored header, which
// must then still say what Storable read.
//
// Private caches (Policy.Shared false) have no target list: "Targeted
// fields that are not on a cache's target list MUST NOT change that cache's
// behavior" (§2.2).

// responseDirectives returns the response directives this cache follows
// for a response with header h, and whether they come from a targeted
// field, in which case Expires is ignored as well. Under
// IgnoreCacheControl there are none.
func (p *Policy) responseDirectives(h http.Header) (d Directives, targeted bool) {
	if p.IgnoreCacheControl {
		return Directives{}, false
	}
	if p.Shared {
		for _, name := range p.TargetedFields {
			if d, ok := targetedDirectives(h.Values(name)); ok {
				return d, true
			}
		}
	}
	return ParseCacheControl(h), false
}

// targetedDirectives parses the field lines of one targeted field, and
// reports false when it is absent, empty or invalid. RFC 9213 §2.1:
// "Targeted fields are Dictionary Structured Fields", and "If a targeted
// field in a given response is empty, or a parsing error is encountered,
// that field MUST be ignored by the cache".
func targetedDirectives(lines []string) (Directives, bool) {
	var v string
	switch len(lines) {
	case 0:
		return Directives{}, false
	case 1:
		v = lines[0]
	default:
		// RFC 8941 §4.2: field lines are combined into one comma-separated
		// value before parsing.
		v = strings.Join(lines, ", ")
	}
	members, ok := parseSFDictionary(strings.Trim(v, " \t"))
	if !ok || len(members) == 0 {
		return Directives{}, false
	}
	var d Directives
	for _, m := range members {
		d.addTargeted(m.key, m.val)
	}
	return d, true
}

// addTargeted adds one member of a targeted field to d. RFC 9213 §2.1 maps
// a directive without value to a Boolean, a token to a Token, Integer or
// Decimal, and a quoted-string to a String, and says implementations
// "SHOULD NOT consume values that violate these inferred constraints". So:
// a delta-seconds directive must be a non-negative Integer, and any other
// value leaves it present but not valid, which makes the response stale
// (as for Cache-Control, §4.2.1); the directives that restrict caching
// apply unless their value is Boolean false ("?0"); those that permit more
// apply only as Boolean true. Directives defined only for requests
// (max-stale, min-fresh, only-if-cached) and unknown ones are ignored.
func (d *Directives) addTargeted(key string, v sfItem) {
	switch directiveID(key) {
	case dirMaxAge:
		d.MaxAge = sfDelta(v)
	case dirSMaxAge:
		d.SMaxAge = sfDelta(v)
	case dirStaleIfError:
		d.StaleIfError = sfDelta(v)
	case dirStaleWhileRevalidate:
		d.StaleWhileRevalidate = sfDelta(v)
	case dirNoCache:
		if !sfFalse(v) {
			d.NoCache, d.NoCacheFields = sfFieldList(v)
		}
	case dirPrivate:
		if !sfFalse(v) {
			d.Private, d.PrivateFields = sfFieldList(v)
		}
	case dirNoStore:
		d.NoStore = !sfFalse(v)
	case dirMustRevalidate:
		d.MustRevalidate = !sfFalse(v)
	case dirProxyRevalidate:
		d.ProxyRevalidate = !sfFalse(v)
	case dirPublic:
		d.Public = sfTrue(v)
	case dirMustUnderstand:
		d.MustUnderstand = sfTrue(v)
	case dirImmutable:
		d.Immutable = sfTrue(v)
	case dirNoTransform:
		d.NoTransform = sfTrue(v)
	}
}

func sfTrue(v sfItem) bool  { return v.kind == sfBoolean && v.b }
func sfFalse(v sfItem) bool { return v.kind == sfBoolean && !v.b }

// sfDelta reads a delta-seconds directive: a non-negative Integer,
// saturated at 2^31 (RFC 9111 §1.2.2).
func sfDelta(v sfItem) Delta {
	switch {
	case v.kind == sfInteger && v.num >= 0:
		return Delta{Present: true, Arg: true, Valid: true, Seconds: min(v.num, maxDeltaSeconds)}
	case v.kind == sfBoolean && v.b:
		return Delta{Present: true} // no argument
	}
	return Delta{Present: true, Arg: true}
}

// sfFieldList reads no-cache or private: Boolean true is the unqualified
// form; a String is the qualified form's field names (RFC 9213 §2.1: "a
// string containing a comma-delimited list of field names"). Anything
// else, or a list without a valid name, is read as the unqualified form,
// the more restrictive meaning (as Cache-Control's parser does).
func sfFieldList(v sfItem) (unqualified bool, fields []string) {
	if v.kind == sfString {
		if fields = fieldNames(nil, v.str); len(fields) > 0 {
			return false, fields
		}
	}
	return true, nil
}
