package policy

import (
	"net/url"
	"regexp"
	"testing"
	"time"
)

func TestRuleFor(t *testing.T) {
	p := &Policy{Rules: []Rule{
		{Glob: "*.site1.com", Expire: Expiry(time.Minute)},
		{Glob: "site2.com/resource1", Expire: Expiry(2 * time.Minute)},
		{Glob: "site2.com/resource2/", Expire: Expiry(time.Hour)},
		{Glob: "https://site2.com/static", Expire: NeverExpire},
		{Glob: "site3.com/*/item?", Expire: Expiry(3 * time.Minute)},
		{Regexp: regexp.MustCompile(`^https://site4\.com/v\d+/`), Expire: DoNotCache},
		{Glob: "site5.com/a", Expire: Expiry(5 * time.Minute)},
		{Glob: "site5.com", Expire: Expiry(6 * time.Minute)},
	}}
	tests := []struct {
		name string
		url  string
		want Expiry
		ok   bool
	}{
		{"requests-cache glob wildcard subdomain", "https://api.site1.com/x/y", Expiry(time.Minute), true},
		{"requests-cache glob wildcard needs a subdomain", "https://site1.com/x", Unset, false},
		{"requests-cache glob is a prefix", "http://site2.com/resource1/deep/path", Expiry(2 * time.Minute), true},
		{"requests-cache glob prefix with trailing slash", "https://site2.com/resource2/a", Expiry(time.Hour), true},
		{"requests-cache glob ignores scheme", "http://site2.com/static/app.js", NeverExpire, true},
		{"requests-cache glob star crosses slashes and question mark is one char", "https://site3.com/a/b/item7", Expiry(3 * time.Minute), true},
		{"requests-cache glob question mark needs a char", "https://site3.com/a/item", Unset, false},
		{"requests-cache glob host is case-insensitive", "https://SITE2.com/resource1", Expiry(2 * time.Minute), true},
		{"requests-cache glob does not match the query", "https://other.com/?u=site2.com/resource1", Unset, false},
		{"requests-cache regexp searched in full URL", "https://site4.com/v2/items?q=1", DoNotCache, true},
		{"requests-cache regexp no match", "https://site4.com/static", Unset, false},
		{"requests-cache first match wins", "https://site5.com/a/b", Expiry(5 * time.Minute), true},
		{"requests-cache later rule when first does not match", "https://site5.com/b", Expiry(6 * time.Minute), true},
		{"requests-cache no match", "https://example.org/", Unset, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := url.Parse(tt.url)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := p.RuleFor(u)
			if got != tt.want || ok != tt.ok {
				t.Errorf("RuleFor(%s) = %v, %v; want %v, %v", tt.url, got, ok, tt.want, tt.ok)
			}
		})
	}
	if _, ok := p.RuleFor(nil); ok {
		t.Errorf("RuleFor(nil) matched")
	}
}

func TestCacheable(t *testing.T) {
	tests := []struct {
		name    string
		methods []string
		method  string
		want    bool
	}{
		{"RFC9111 3 GET cacheable by default", nil, "GET", true},
		{"RFC9111 3 HEAD cacheable by default", nil, "HEAD", true},
		{"RFC9111 3 POST not cacheable by default", nil, "POST", false},
		{"RFC9110 9.1 method names are case-sensitive", nil, "get", false},
		{"Policy Methods replace the default", []string{"POST"}, "GET", false},
		{"Policy Methods allow POST", []string{"GET", "POST"}, "POST", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &Policy{Methods: tt.methods}
			if got := p.Cacheable(tt.method); got != tt.want {
				t.Errorf("Cacheable(%q) = %v", tt.method, got)
			}
		})
	}
}

func TestExpiryString(t *testing.T) {
	tests := []struct {
		name string
		e    Expiry
		want string
	}{
		{"unset", Unset, "unset"},
		{"never", NeverExpire, "never"},
		{"do-not-cache", DoNotCache, "do-not-cache"},
		{"expire-immediately", ExpireImmediately, "expire-immediately"},
		{"duration", Expiry(90 * time.Second), "1m30s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.e.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
}
