package policy

import (
	"errors"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

func TestGlobDialect(t *testing.T) {
	tests := []struct {
		name    string
		pattern string
		url     string
		want    bool
	}{
		// Subject: host, path, query; no scheme, user information or fragment.
		{"glob literal host and path", "example.com/a", "https://example.com/a", true},
		{"glob scheme of the URL is not matched", "example.com/a", "http://example.com/a", true},
		{"glob scheme in the pattern is ignored", "https://example.com/a", "http://example.com/a", true},
		{"glob other scheme in the pattern is ignored", "ws+tls://example.com/a", "https://example.com/a", true},
		{"glob user information is not matched", "example.com/a", "https://user:pw@example.com/a", true},
		{"glob fragment is not matched", "example.com/a#top", "https://example.com/a#top", false},
		{"glob port is part of the host", "example.com:8443/a", "https://example.com:8443/a", true},
		{"glob host without its port does not match a URL with one", "example.com/", "https://example.com:8443/", false},
		{"glob empty path is /", "example.com/", "https://example.com", true},
		{"glob query is matched", "example.com/search?q=go", "https://example.com/search?q=go&page=2", true},
		{"glob query differs", "example.com/search?q=go", "https://example.com/search?q=rust", false},
		{"glob star reaches into the query", "example.com/*page=2", "https://example.com/search?q=go&page=2", true},
		{"glob question mark matches the ? of a query", "example.com/s?q", "https://example.com/s?q=1", true},
		{"glob bracket question mark is a literal ?", "example.com/s[?]q", "https://example.com/s?q=1", true},
		{"glob bracket question mark does not match another char", "example.com/s[?]q", "https://example.com/sxq", false},
		{"glob query not matched by a path pattern from another host", "site2.com/r", "https://other.com/?u=site2.com/r", false},
		{"glob path is percent-encoded as sent", "example.com/a%20b", "https://example.com/a b", true},
		// Prefix semantics (requests-cache appends "**").
		{"glob prefix of path", "example.com/static", "https://example.com/static/app.css", true},
		{"glob prefix within a segment", "example.com/static", "https://example.com/statically", true},
		{"glob prefix of host", "example.com", "https://example.com.au/", true},
		{"glob trailing slash pins the host", "example.com/", "https://example.com.au/", false},
		{"glob trailing star is the same as none", "example.com/static*", "https://example.com/static/x", true},
		{"glob double star is a star", "example.com/**/x", "https://example.com/a/b/x", true},
		{"glob longer than the subject", "example.com/a/b", "https://example.com/a", false},
		{"glob star alone matches all", "*", "https://anything.test/x?y", true},
		// Wildcards.
		{"glob star matches across slashes", "example.com/*/item", "https://example.com/a/b/item", true},
		{"glob star matches nothing", "example.com/*item", "https://example.com/item", true},
		{"glob star subdomain", "*.example.com/", "https://api.example.com/v1", true},
		{"glob star subdomain needs the dot", "*.example.com/", "https://example.com/v1", false},
		{"glob question mark is one char", "example.com/v?/x", "https://example.com/v2/x", true},
		{"glob question mark needs a char", "example.com/v?/x", "https://example.com/v/x", false},
		{"glob backtracking over several stars", "*a*b*c", "https://x.test/aXbYaZc", true},
		{"glob backtracking fails", "*a*b*c", "https://x.test/aXcYb", false},
		// Classes.
		{"glob class matches a member", "v.com/v[12]/x", "https://v.com/v1/x", true},
		{"glob class matches another member", "v.com/v[12]/x", "https://v.com/v2/x", true},
		{"glob class rejects a non-member", "v.com/v[12]/x", "https://v.com/v3/x", false},
		{"glob class is not a literal", "v.com/v[12]/x", "https://v.com/v%5B12%5D/x", false},
		{"glob class range", "v.com/v[0-9]/", "https://v.com/v7/", true},
		{"glob class range excludes", "v.com/v[0-4]/", "https://v.com/v7/", false},
		{"glob negated class", "v.com/v[!0-4]/", "https://v.com/v7/", true},
		{"glob negated class excludes", "v.com/v[!0-4]/", "https://v.com/v3/", false},
		{"glob caret is a member not a negation", "v.com/x?[^a]", "https://v.com/x?^", true},
		{"glob bracket first in class is a member", "v.com/[]]", "https://v.com/]", true},
		{"glob dash last in class is a member", "v.com/[a-]", "https://v.com/-", true},
		{"glob dash first in class is a member", "v.com/[-a]", "https://v.com/-", true},
		{"glob bracket star is a literal star", "v.com/[*]", "https://v.com/*", true},
		{"glob bracket star is not a wildcard", "v.com/[*]", "https://v.com/x", false},
		{"glob bracket open bracket is a literal", "[[]::1]:8080/", "http://[::1]:8080/", true},
		{"glob backslash is a literal", `v.com/a\b`, "https://v.com/a%5Cb", false},
		// Case.
		{"glob host is case-insensitive in the URL", "example.com/a", "https://EXAMPLE.com/a", true},
		{"glob host is case-insensitive in the pattern", "EXAMPLE.COM/a", "https://example.com/a", true},
		{"glob host class is case-insensitive", "[E]xample.com/", "https://example.com/", true},
		{"glob host negated class is case-insensitive", "[!E]xample.com/", "https://example.com/", false},
		{"glob path is case-sensitive", "example.com/A", "https://example.com/a", false},
		{"glob path class is case-sensitive", "example.com/[A]", "https://example.com/a", false},
		{"glob query is case-sensitive", "example.com/s?Q=1", "https://example.com/s?q=1", false},
		// Invalid patterns never match.
		{"glob unterminated class never matches", "v.com/v[12", "https://v.com/v[12/x", false},
		{"glob reversed range never matches", "v.com/[z-a]", "https://v.com/m", false},
		{"glob empty pattern never matches", "", "https://v.com/", false},
		{"glob scheme alone never matches", "https://", "https://v.com/", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := url.Parse(tt.url)
			if err != nil {
				t.Fatal(err)
			}
			if got := globMatch(tt.pattern, u); got != tt.want {
				t.Errorf("globMatch(%q, %s) = %v, want %v", tt.pattern, tt.url, got, tt.want)
			}
			// What never matches is what ValidateGlob refuses, and the
			// other way round for these cases.
			if tt.want && ValidateGlob(tt.pattern) != nil {
				t.Errorf("ValidateGlob(%q) refused a pattern that matches", tt.pattern)
			}
		})
	}
}

func TestValidateGlob(t *testing.T) {
	tests := []struct {
		name    string
		pattern string
		wantErr string // "" when valid
	}{
		{"glob plain host valid", "example.com", ""},
		{"glob with scheme valid", "https://example.com/a", ""},
		{"glob class valid", "v.com/v[12]/x", ""},
		{"glob negated range valid", "v.com/[!a-z]", ""},
		{"glob bracket member valid", "v.com/[]]", ""},
		{"glob lone closing bracket valid", "v.com/]", ""},
		{"glob query valid", "v.com/s?q=[0-9]*", ""},
		{"glob empty invalid", "", "empty pattern"},
		{"glob scheme alone invalid", "http://", "empty pattern"},
		{"glob unterminated class invalid", "v.com/v[12", "unterminated [ at offset 7"},
		{"glob offset counts the scheme", "https://v.com/[", "unterminated [ at offset 14"},
		{"glob empty class invalid", "v.com/[]", "unterminated ["},
		{"glob empty negated class invalid", "v.com/[!]", "unterminated ["},
		{"glob reversed range invalid", "v.com/[z-a]", `reversed range "z-a"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateGlob(tt.pattern)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("ValidateGlob(%q) = %v", tt.pattern, err)
			case tt.wantErr != "" && err == nil:
				t.Fatalf("ValidateGlob(%q) accepted", tt.pattern)
			case err != nil && (!errors.Is(err, ErrInvalidGlob) || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), tt.pattern)):
				t.Fatalf("ValidateGlob(%q) = %v; want %q, the pattern and ErrInvalidGlob", tt.pattern, err, tt.wantErr)
			}
		})
	}
}

// globRegexp translates a valid pattern into an anchored regexp, the
// reference the fuzz target compares the matcher with (for patterns whose
// host part needs no case folding).
func globRegexp(p string) string {
	var b strings.Builder
	b.WriteString(`(?s)^`)
	for i := 0; i < len(p); i++ {
		switch c := p[i]; c {
		case '*':
			b.WriteString(`.*`)
		case '?':
			b.WriteString(`.`)
		case '[':
			end, _ := classEnd(p, i)
			j := i + 1
			b.WriteByte('[')
			if p[j] == '!' {
				b.WriteByte('^')
				j++
			}
			for k := j; k < end; k++ {
				if k+2 < end && p[k+1] == '-' {
					b.WriteString(`\x` + hex2(p[k]) + `-\x` + hex2(p[k+2]))
					k += 2
					continue
				}
				b.WriteString(`\x` + hex2(p[k]))
			}
			b.WriteByte(']')
			i = end
		default:
			b.WriteString(`\x` + hex2(c))
		}
	}
	return b.String()
}

func ascii(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// coversUpper reports whether a literal or a class of p can match an
// upper-case letter, where host case folding makes the matcher differ from
// the plain regexp reference.
func coversUpper(p string) bool {
	for i := 0; i < len(p); i++ {
		if 'A' <= p[i] && p[i] <= 'Z' {
			return true
		}
		if p[i] != '[' {
			continue
		}
		end, _ := classEnd(p, i)
		for k := i + 1; k < end; k++ {
			if k+2 < end && p[k+1] == '-' {
				if p[k] <= 'Z' && p[k+2] >= 'A' {
					return true
				}
				k += 2
			}
		}
		i = end
	}
	return false
}

func hex2(c byte) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[c>>4], digits[c&15]})
}

func FuzzGlob(f *testing.F) {
	for _, s := range [][2]string{
		{"v.com/v[12]/x", "https://v.com/v1/x"}, {"*.example.com/", "https://api.example.com/"},
		{"[!a-z]*", "http://9.test/"}, {"v.com/[]]", "https://v.com/]"}, {"*a*b*c", "https://x.test/aXbYc?q"},
		{"v.com/[z-a]", "https://v.com/"}, {"[", "http://a/"}, {"https://EX.com/[A-]?", "https://ex.COM/-x?y=1"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, rawURL string) {
		u, err := url.Parse(rawURL)
		if err != nil {
			return
		}
		got := globMatch(pattern, u) // never panics, valid or not
		if ValidateGlob(pattern) != nil {
			if got {
				t.Fatalf("invalid pattern %q matched %q", pattern, rawURL)
			}
			return
		}
		p := stripScheme(pattern)
		s := newSubject(u)
		subj := s.String()
		if !ascii(p) || !ascii(subj) || strings.ToLower(s.host) != s.host || coversUpper(p) {
			// The regexp reference reads runes, not bytes, and has no
			// host-only case folding.
			return
		}
		re, err := regexp.Compile(globRegexp(p))
		if err != nil {
			t.Fatalf("reference for %q: %v", p, err)
		}
		if want := re.MatchString(subj); got != want {
			t.Fatalf("globMatch(%q, %q) = %v, reference %s says %v", pattern, subj, got, re, want)
		}
	})
}
