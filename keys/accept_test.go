package keys

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

// canonicalAccept returns the canonical form of the field value v.
func canonicalAccept(k acceptKind, v string) (string, bool) {
	s := getState()
	defer putState(s)
	if !s.parseAccept(k, v) {
		return "", false
	}
	return string(s.appendAccept(nil)), true
}

func TestAcceptCanonical(t *testing.T) {
	tests := []struct {
		name string
		kind acceptKind
		in   string
		want string // "" with ok false: keyed as written
		ok   bool
	}{
		{"RFC9110 8.4.1 content codings are case-insensitive", acceptEncoding, "GZIP, Br", "gzip, br", true},
		{"RFC9110 5.6.1 whitespace and empty list elements", acceptEncoding, " ,gzip ,, br\t,", "gzip, br", true},
		{"RFC9110 12.4.2 q=1 is no weight", acceptEncoding, "gzip;q=1, br;Q=1.000", "gzip, br", true},
		{"RFC9110 12.4.2 weights without trailing zeros", acceptEncoding, "gzip;q=0.500, br;q=0.25, zstd;q=0.", "gzip;q=0.5, br;q=0.25, zstd;q=0", true},
		{"RFC9110 12.4.2 higher weights first", acceptEncoding, "br;q=0.5, gzip", "gzip, br;q=0.5", true},
		{"equal weights keep their order", acceptEncoding, "br, gzip, zstd;q=0.1, deflate;q=0.1", "br, gzip, zstd;q=0.1, deflate;q=0.1", true},
		{"RFC9110 5.6.6 OWS around the weight's semicolon", acceptEncoding, "gzip ; q=0.5", "gzip;q=0.5", true},
		{"RFC9110 5.6.6 empty parameters", acceptEncoding, "gzip;;q=0.5;", "gzip;q=0.5", true},
		{"identity and star", acceptEncoding, "identity;q=0, *", "*, identity;q=0", true},
		{"empty field value is an empty list", acceptEncoding, "", "", true},
		{"RFC9110 8.3.2 charsets are case-insensitive", acceptCharset, "UTF-8, ISO-8859-1;q=0.5", "utf-8, iso-8859-1;q=0.5", true},
		{"RFC4647 2.1 language ranges are case-insensitive", acceptLanguage, "EN-gb, de-CH;q=0.8, *;q=0.1", "en-gb, de-ch;q=0.8, *;q=0.1", true},
		{"language range with digits after the first subtag", acceptLanguage, "es-419, zh-Hant-TW", "es-419, zh-hant-tw", true},
		{"RFC9110 8.3.1 media type and parameter names are case-insensitive", acceptMedia,
			"Text/HTML;Level=1;CHARSET=UTF-8", "text/html;level=1;charset=UTF-8", true},
		{"RFC9110 5.6.6 quoted token value is the token", acceptMedia, `text/html;level="1"`, "text/html;level=1", true},
		{"quoted value that is not a token stays quoted, escapes minimal", acceptMedia,
			`text/plain;x="a b\c\"d";q=0.5`, `text/plain;x="a bc\"d";q=0.5`, true},
		{"empty quoted value", acceptMedia, `text/plain;x=""`, `text/plain;x=""`, true},
		{"media parameters keep their order", acceptMedia, "text/html;b=1;a=2", "text/html;b=1;a=2", true},
		{"media ranges", acceptMedia, "*/*;q=0.1, text/*;q=0.5, application/json", "application/json, text/*;q=0.5, */*;q=0.1", true},

		{"qvalue above 1", acceptEncoding, "gzip;q=1.5", "", false},
		{"qvalue with four decimals", acceptEncoding, "gzip;q=0.1234", "", false},
		{"qvalue not a number", acceptEncoding, "gzip;q=high", "", false},
		{"quoted qvalue", acceptEncoding, `gzip;q="0.5"`, "", false},
		{"parameter other than the weight in Accept-Encoding", acceptEncoding, "gzip;level=9", "", false},
		{"two weights", acceptEncoding, "gzip;q=0.5;q=0.4", "", false},
		{"parameter after the weight in Accept", acceptMedia, "text/html;q=0.5;level=1", "", false},
		{"whitespace around '='", acceptMedia, "text/html;q = 0.5", "", false},
		{"media range without a subtype", acceptMedia, "text", "", false},
		{"star type with a subtype", acceptMedia, "*/html", "", false},
		{"bare star in Accept", acceptMedia, "*", "", false},
		{"unterminated quoted string", acceptMedia, `text/html;a="b`, "", false},
		{"language tag with an underscore", acceptLanguage, "en_US", "", false},
		{"language subtag over 8 characters", acceptLanguage, "en-abcdefghi", "", false},
		{"language tag starting with a digit", acceptLanguage, "1en", "", false},
		{"trailing hyphen", acceptLanguage, "en-", "", false},
		{"non-ASCII token", acceptCharset, "utf-8, lätin", "", false},
		{"control character", acceptEncoding, "gzip\x01", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := canonicalAccept(tt.kind, tt.in)
			if ok != tt.ok || got != tt.want {
				t.Errorf("canonical(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestAcceptKindOf(t *testing.T) {
	for name, want := range map[string]acceptKind{
		"Accept": acceptMedia, "Accept-Charset": acceptCharset, "Accept-Encoding": acceptEncoding,
		"Accept-Language": acceptLanguage, "Accept-Ranges": acceptNone, "Content-Language": acceptNone,
	} {
		if got := acceptKindOf(name); got != want {
			t.Errorf("acceptKindOf(%q) = %d, want %d", name, got, want)
		}
	}
}

// Field lines are parsed one by one without building the combined value;
// the result must be that of the combined value (RFC 9110 §5.3).
func TestAcceptFieldLines(t *testing.T) {
	s := getState()
	defer putState(s)
	h := http.Header{"Accept-Language": {"de;q=0.5", " EN "}, "accept-language": {"fr;q=0.7"}}
	s.scanHeader(h)
	if !s.parseAcceptField(acceptLanguage, h, "Accept-Language") {
		t.Fatal("parseAcceptField refused valid lines")
	}
	got := string(s.appendAccept(nil))
	want, _ := canonicalAccept(acceptLanguage, "de;q=0.5, EN, fr;q=0.7")
	if got != want || got != "en, fr;q=0.7, de;q=0.5" {
		t.Errorf("lines give %q, combined value %q; want %q", got, want, "en, fr;q=0.7, de;q=0.5")
	}
	h["Accept-Language"] = append(h["Accept-Language"], "en_US")
	if s.parseAcceptField(acceptLanguage, h, "Accept-Language") {
		t.Errorf("an invalid field line was accepted")
	}
}

func TestNotMatchedSorted(t *testing.T) {
	if !slices.IsSorted(notMatched[:]) {
		t.Errorf("notMatched is not sorted: binary search misses names")
	}
	for _, n := range notMatched {
		if http.CanonicalHeaderKey(n) != n {
			t.Errorf("notMatched has %q, not canonical", n)
		}
	}
	for _, n := range overrideHeaders {
		if http.CanonicalHeaderKey(n) != n {
			t.Errorf("overrideHeaders has %q, not canonical", n)
		}
	}
	if !slices.IsSorted(overrideHeaders[:]) || !slices.IsSorted(allDefaultCredentialHeaders) {
		t.Errorf("overrideHeaders or allDefaultCredentialHeaders not sorted")
	}
	if n := len(knownHeaders); n > 32 || len(allDefaultCredentialHeaders) != 10 ||
		knownCredentials&knownOverrides != 0 || knownCredentials|knownOverrides != 1<<n-1 {
		t.Errorf("known header bits: %d names, credentials %b, overrides %b", n, knownCredentials, knownOverrides)
	}
}

var fuzzAccept = []string{
	"gzip, br;q=0.5, *;q=0",
	"en-GB,en;q=0.9,de;Q=0.80, *;q=0.",
	`text/html;level="1";q=1.0, application/json;charset=UTF-8, */*;q=0.1`,
	`text/plain;x="a \"b\" \\c";q=0.001`,
	" , ,gzip ;; q=1.000",
	"utf-8, iso-8859-1;q=0.5",
	"en_US",
	"text/*;q=0.5;a=b",
}

// FuzzAcceptCanonical checks the Accept-* normaliser: canonical forms
// parse to themselves, whitespace and case that the grammar ignores do not
// change them, and they keep every member and weight, ordered by weight.
func FuzzAcceptCanonical(f *testing.F) {
	for _, v := range fuzzAccept {
		for k := acceptMedia; k <= acceptLanguage; k++ {
			f.Add(uint8(k), v)
		}
	}
	f.Fuzz(func(t *testing.T, kind uint8, v string) {
		k := acceptKind(kind%4 + 1)
		c, ok := canonicalAccept(k, v)
		if !ok {
			return
		}
		for i := 0; i < len(c); i++ {
			if c[i] < ' ' && c[i] != '\t' || c[i] == 0x7f {
				t.Fatalf("canonical(%q) = %q has a control character", v, c)
			}
		}
		c2, ok := canonicalAccept(k, c)
		if !ok || c2 != c {
			t.Fatalf("not idempotent: %q -> %q -> %q (%v)", v, c, c2, ok)
		}
		spaced := strings.ReplaceAll(v, ",", " ,\t")
		if !strings.Contains(v, `"`) {
			if c3, ok := canonicalAccept(k, spaced); !ok || c3 != c {
				t.Fatalf("whitespace around commas changed %q: %q vs %q (%v)", v, c, c3, ok)
			}
		}
		if k != acceptMedia {
			if c4, ok := canonicalAccept(k, strings.ToUpper(v)); !ok || c4 != c {
				t.Fatalf("case changed %q: %q vs %q (%v)", v, c, c4, ok)
			}
		}
		// Same members and weights, stably ordered by weight.
		s := getState()
		defer putState(s)
		s.parseAccept(k, v)
		type mq struct {
			m string
			q int16
		}
		var in []mq
		for _, m := range s.acc {
			in = append(in, mq{string(s.abuf[m.s:m.e]), m.q})
		}
		slices.SortStableFunc(in, func(a, b mq) int { return int(b.q) - int(a.q) })
		s.parseAccept(k, c)
		if len(s.acc) != len(in) {
			t.Fatalf("%q has %d members, its canonical form %q %d", v, len(in), c, len(s.acc))
		}
		for i, m := range s.acc {
			if got := (mq{string(s.abuf[m.s:m.e]), m.q}); got != in[i] {
				t.Fatalf("member %d of %q: %v, want %v (from %q)", i, c, got, in[i], v)
			}
		}
	})
}

// FuzzAcceptsLanguage checks that language filtering never panics, does
// not depend on how Accept-Language is spelled, follows "*", and that
// PreferredLanguage agrees with it.
func FuzzAcceptsLanguage(f *testing.F) {
	for _, a := range []string{"", "en", "de-CH, *;q=0", "EN;q=0.5, fr", "*", "en_US", "x-klingon;q=0.1"} {
		for _, c := range []string{"", "en", "en-US", "de-ch, fr", "de", "*", "en-", "x-klingon"} {
			f.Add(a, c)
		}
	}
	f.Fuzz(func(t *testing.T, accept, content string) {
		got := AcceptsLanguage(accept, content)
		if c, ok := canonicalAccept(acceptLanguage, accept); ok {
			if AcceptsLanguage(c, content) != got {
				t.Fatalf("AcceptsLanguage(%q, %q) = %v, with canonical %q the opposite", accept, content, got, c)
			}
			if AcceptsLanguage(strings.ToUpper(accept), string(appendLower(nil, content))) != got {
				t.Fatalf("AcceptsLanguage(%q, %q) depends on case", accept, content)
			}
		}
		if got && !AcceptsLanguage("", content) {
			t.Fatalf("%q is acceptable to %q but not to a request without preference", content, accept)
		}
		// PreferredLanguage selects only what AcceptsLanguage accepts.
		if PreferredLanguage(accept, []string{content}) == 0 && !got {
			t.Fatalf("PreferredLanguage selects %q for %q, which AcceptsLanguage refuses", content, accept)
		}
	})
}
