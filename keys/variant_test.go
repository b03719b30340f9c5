package keys_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/cachedhttp/cachedhttp/keys"
)

const primary = "v1:0000000000000000000000000000000000000000000000000000000000000000"

func TestVariantSame(t *testing.T) {
	tests := []struct {
		name   string
		va, vb []string
		ha, hb http.Header
	}{
		{"RFC9111 4.1 field lines combined",
			[]string{"accept-encoding"}, []string{"accept-encoding"},
			http.Header{"Accept-Encoding": {"gzip", "br"}}, http.Header{"Accept-Encoding": {"gzip, br"}}},
		{"RFC9111 4.1 whitespace normalised",
			[]string{"accept-encoding"}, []string{"accept-encoding"},
			http.Header{"Accept-Encoding": {" gzip,br\t"}}, http.Header{"Accept-Encoding": {"gzip, br"}}},
		{"RFC9110 5.1 field names are case-insensitive",
			[]string{"Accept-Encoding"}, []string{"accept-encoding"},
			http.Header{"accept-encoding": {"gzip"}}, http.Header{"Accept-Encoding": {"gzip"}}},
		{"order and repetition of Vary names",
			[]string{"accept", "accept-encoding", "accept"}, []string{"accept-encoding", "accept"},
			http.Header{"Accept": {"a"}, "Accept-Encoding": {"b"}}, http.Header{"Accept": {"a"}, "Accept-Encoding": {"b"}}},
		{"RFC9110 12.5.5 Vary field value or list of names",
			[]string{"Accept, accept-encoding", ""}, []string{"accept-encoding", "accept"},
			http.Header{"Accept": {"a"}, "Accept-Encoding": {"b"}}, http.Header{"Accept": {"a"}, "Accept-Encoding": {"b"}}},
		{"headers not named by Vary",
			[]string{"accept"}, []string{"accept"},
			http.Header{"Accept": {"a"}, "User-Agent": {"x"}}, http.Header{"Accept": {"a"}, "User-Agent": {"y"}}},
		{"RFC9110 12.5.3 content codings are case-insensitive",
			[]string{"accept-encoding"}, []string{"accept-encoding"},
			http.Header{"Accept-Encoding": {"GZIP, Br"}}, http.Header{"Accept-Encoding": {"gzip, br"}}},
		{"RFC9110 12.4.2 q=1 is the default weight",
			[]string{"accept-encoding"}, []string{"accept-encoding"},
			http.Header{"Accept-Encoding": {"gzip;q=1.0, br;Q=1"}}, http.Header{"Accept-Encoding": {"gzip, br"}}},
		{"RFC9110 12.4.2 weights rank members, not their order",
			[]string{"accept-language"}, []string{"accept-language"},
			http.Header{"Accept-Language": {"de;q=0.5, en"}}, http.Header{"Accept-Language": {"en,de;q=0.50"}}},
		{"RFC4647 2.1 language ranges are case-insensitive",
			[]string{"accept-language"}, []string{"accept-language"},
			http.Header{"Accept-Language": {"EN-gb"}}, http.Header{"Accept-Language": {"en-GB"}}},
		{"RFC9110 12.5.2 charsets are case-insensitive",
			[]string{"accept-charset"}, []string{"accept-charset"},
			http.Header{"Accept-Charset": {"UTF-8"}}, http.Header{"Accept-Charset": {"utf-8"}}},
		{"RFC9110 8.3.1 media types are case-insensitive, quoted tokens are tokens",
			[]string{"accept"}, []string{"accept"},
			http.Header{"Accept": {`Text/HTML;Level="1", */*;q=0.1`}}, http.Header{"Accept": {"text/html;level=1,*/*;q=0.1"}}},
		{"RFC9110 5.6.1 empty list elements",
			[]string{"accept"}, []string{"accept"},
			http.Header{"Accept": {", text/html,,"}}, http.Header{"Accept": {"text/html"}}},
		{"commas inside quoted strings are kept",
			[]string{"x-q"}, []string{"x-q"},
			http.Header{"X-Q": {`"a , b" ,c`}}, http.Header{"X-Q": {`"a , b", c`}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := keys.Variant(primary, tt.va, tt.ha), keys.Variant(primary, tt.vb, tt.hb)
			if a != b {
				t.Errorf("variants differ: %s vs %s", a, b)
			}
		})
	}
}

func TestVariantDifferent(t *testing.T) {
	tests := []struct {
		name   string
		va, vb []string
		ha, hb http.Header
	}{
		{"RFC9111 4.1 absent field differs from empty field",
			[]string{"accept"}, []string{"accept"}, http.Header{}, http.Header{"Accept": {""}}},
		{"values differ", []string{"accept"}, []string{"accept"},
			http.Header{"Accept": {"a"}}, http.Header{"Accept": {"b"}}},
		{"values are case-sensitive", []string{"x-q"}, []string{"x-q"},
			http.Header{"X-Q": {"a"}}, http.Header{"X-Q": {"A"}}},
		{"Accept values not following the grammar stay case-sensitive", []string{"accept"}, []string{"accept"},
			http.Header{"Accept": {"a"}}, http.Header{"Accept": {"A"}}},
		{"RFC9110 12.5.4 order among equal weights is kept", []string{"accept-language"}, []string{"accept-language"},
			http.Header{"Accept-Language": {"en, de"}}, http.Header{"Accept-Language": {"de, en"}}},
		{"media type parameter values keep their case", []string{"accept"}, []string{"accept"},
			http.Header{"Accept": {"text/html;level=A"}}, http.Header{"Accept": {"text/html;level=a"}}},
		{"a weight of 0 is not the default", []string{"accept-encoding"}, []string{"accept-encoding"},
			http.Header{"Accept-Encoding": {"gzip;q=0"}}, http.Header{"Accept-Encoding": {"gzip"}}},
		{"invalid value never equals a canonical one", []string{"accept-encoding"}, []string{"accept-encoding"},
			http.Header{"Accept-Encoding": {"gzip;q=2"}}, http.Header{"Accept-Encoding": {"gzip;q=1"}}},
		{"other fields are not normalised beyond whitespace", []string{"content-language"}, []string{"content-language"},
			http.Header{"Content-Language": {"EN"}}, http.Header{"Content-Language": {"en"}}},
		{"field line order is significant", []string{"accept"}, []string{"accept"},
			http.Header{"Accept": {"a", "b"}}, http.Header{"Accept": {"b", "a"}}},
		{"whitespace inside quoted strings is kept", []string{"x-q"}, []string{"x-q"},
			http.Header{"X-Q": {`"a b"`}}, http.Header{"X-Q": {`"a  b"`}}},
		{"values cannot shift between fields", []string{"a", "b"}, []string{"a", "b"},
			http.Header{"A": {"x"}, "B": {"yz"}}, http.Header{"A": {"xy"}, "B": {"z"}}},
		{"different Vary names", []string{"a"}, []string{"b"},
			http.Header{"A": {"x"}, "B": {"x"}}, http.Header{"A": {"x"}, "B": {"x"}}},
		{"no Vary names and one absent name", nil, []string{"a"}, http.Header{}, http.Header{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := keys.Variant(primary, tt.va, tt.ha), keys.Variant(primary, tt.vb, tt.hb)
			if a == b {
				t.Errorf("same variant %s", a)
			}
		})
	}
}

func TestVariantFormat(t *testing.T) {
	for _, h := range []http.Header{{}, {"Accept": {strings.Repeat("x", 10000)}}} {
		v := keys.Variant(primary, []string{"accept"}, h)
		if len(v) != keys.KeyLen+keys.VariantLen || !strings.HasPrefix(v, primary+"|") {
			t.Errorf("Variant = %q, want %q, \"|\" and %d hex digits", v, primary, keys.VariantLen-1)
		}
	}
	// The hash covers the primary key too, so a variant hash alone never
	// identifies a response of another resource.
	if a, b := keys.Variant("v1:a", nil, nil), keys.Variant("v1:b", nil, nil); a[len("v1:a"):] == b[len("v1:b"):] {
		t.Errorf("variant hash does not depend on the primary key: %s, %s", a, b)
	}
}

func TestAcceptsLanguage(t *testing.T) {
	tests := []struct {
		accept, content string
		want            bool
	}{
		{"", "de", true},
		{"en", "", true},
		{"en", "en", true},
		{"en", "EN-us", true},
		{"en-US", "en", false},
		{"en", "english", false},
		{"de, en;q=0.5", "en-GB", true},
		{"*", "fr", true},
		{"*;q=0", "fr", false},
		{"*, fr;q=0", "fr-CA", false},
		{"fr-CA;q=0, fr", "fr-CA", false},
		{"fr-CA;q=0, fr", "fr-FR", true},
		{"de", "fr, de", true},
		{"de", "fr, it", false},
		{"en_US", "en", false},
		{"en", "en_US", false},
		{"en", "*", false},
		{"en", " , ", true},
		{"en;q=0, en", "en", false},
		{"en, EN;q=0", "en", false},
		{"*, *;q=0", "en", false},
	}
	for _, tt := range tests {
		if got := keys.AcceptsLanguage(tt.accept, tt.content); got != tt.want {
			t.Errorf("AcceptsLanguage(%q, %q) = %v, want %v", tt.accept, tt.content, got, tt.want)
		}
	}
}

func TestConfigVariantKeysCredentials(t *testing.T) {
	h := http.Header{"Cookie": {"sid=alice"}}
	a := (&keys.Config{Secret: []byte("one")}).Variant(primary, []string{"cookie"}, h)
	b := (&keys.Config{Secret: []byte("two")}).Variant(primary, []string{"cookie"}, h)
	if a == b {
		t.Errorf("Config.Variant of a credential field does not depend on Secret")
	}
	bob := (&keys.Config{Secret: []byte("one")}).Variant(primary, []string{"cookie"}, http.Header{"Cookie": {"sid=bob"}})
	if a == bob {
		t.Errorf("two users share variant %s", a)
	}
	if a, b := (&keys.Config{}).Variant(primary, []string{"x-api-key"}, http.Header{"X-Api-Key": {"alice"}}),
		(&keys.Config{}).Variant(primary, []string{"x-api-key"}, http.Header{"X-Api-Key": {"bob"}}); a == b {
		t.Errorf("two users share variant %s through a default secret header", a)
	}
	plain := http.Header{"Accept": {"x"}}
	if (&keys.Config{Secret: []byte("one")}).Variant(primary, []string{"accept"}, plain) != keys.Variant(primary, []string{"accept"}, plain) {
		t.Errorf("Config.Variant differs from Variant for a non-credential field")
	}
}

// RFC 4647 §3.3.1 basic filtering: "A language range matches a particular
// language tag if, in a case-insensitive comparison, it exactly equals the
// tag, or if it exactly equals a prefix of the tag such that the first
// character following the prefix is '-'." PreferredLanguage picks among
// stored variants by the weights that gives.
func TestPreferredLanguage(t *testing.T) {
	tests := []struct {
		name   string
		accept string
		langs  []string
		want   int
	}{
		{"RFC4647 3.3.1 a longer range does not match a shorter tag", "de-DE, en;q=0.5", []string{"de"}, -1},
		{"RFC4647 3.3.1 a range matches a tag it prefixes", "de, en;q=0.5", []string{"de-DE"}, 0},
		{"a lower-weighted language is acceptable", "fr, de;q=0.8", []string{"de"}, 0},
		{"RFC9110 12.4.2 the highest weight wins", "fr, de;q=0.8", []string{"de", "fr"}, 1},
		{"RFC9110 12.4.2 the highest weight wins over a prefix match", "fr;q=0.5, de-AT", []string{"fr-CA", "de-AT"}, 1},
		{"RFC9110 12.4.2 q=0 is not acceptable", "de;q=0, fr", []string{"de"}, -1},
		{"RFC4647 3.3.1 the wildcard matches any tag", "*", []string{"de"}, 0},
		{"the most specific range decides", "*;q=0.1, de;q=0", []string{"de", "fr"}, 1},
		{"RFC9110 12.5.4 equal weights: the range listed first", "de, fr", []string{"fr", "de"}, 1},
		{"equal weight and range: the earliest variant", "de", []string{"de-AT", "de-CH"}, 0},
		{"several tags: the best one counts", "en;q=0.2, fr", []string{"en", "de, fr"}, 1},
		{"no Accept-Language selects nothing", "", []string{"de"}, -1},
		{"no Content-Language is never selected", "*", []string{"", " , "}, -1},
		{"an invalid Accept-Language selects nothing", "de;q=2", []string{"de"}, -1},
		{"an invalid Content-Language is not selected", "*", []string{"en_US", "fr"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := keys.PreferredLanguage(tt.accept, tt.langs); got != tt.want {
				t.Fatalf("PreferredLanguage(%q, %q) = %d, want %d", tt.accept, tt.langs, got, tt.want)
			}
		})
	}
}
