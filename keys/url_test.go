package keys_test

import (
	"errors"
	"testing"

	"github.com/cachedhttp/cachedhttp/keys"
)

func TestNormalizeURL(t *testing.T) {
	c := &keys.Config{IgnoredParams: []string{"utm_source", "_"}, SecretParams: []string{"api_key"}}
	tests := []struct {
		name, in, want string
	}{
		{"RFC3986 6.2.2.1 scheme and host are case-insensitive", "HTTP://WWW.Example.COM/", "http://www.example.com/"},
		{"RFC3986 6.2.2.1 path keeps its case", "http://h/Index.HTML", "http://h/Index.HTML"},
		{"RFC3986 6.2.2.1 percent-encoding hex case", "http://h/a%2fb%c3%a9", "http://h/a%2Fb%C3%A9"},
		{"RFC3986 6.2.2.2 unreserved characters decoded", "http://h/%7Euser/%41%62%2D%2E%5F", "http://h/~user/Ab-._"},
		{"RFC3986 6.2.2.2 reserved characters keep their encoding", "http://h/a%2Fb/c%3Bd;e", "http://h/a%2Fb/c%3Bd;e"},
		{"RFC3986 2.1 characters not allowed raw are encoded", "http://h/a b/é", "http://h/a%20b/%C3%A9"},
		{"RFC3986 6.2.2.3 dot segments removed", "http://h/a/./b/../c", "http://h/a/c"},
		{"RFC3986 5.2.4 example /a/b/c/./../../g", "http://h/a/b/c/./../../g", "http://h/a/g"},
		{"RFC3986 5.2.4 dot segments cannot climb above the root", "http://h/../../a/..", "http://h/"},
		{"RFC3986 5.2.4 trailing dot segment keeps the slash", "http://h/a/b/.", "http://h/a/b/"},
		{"RFC3986 6.2.2.3 encoded dot segments are dot segments", "http://h/a/%2e%2E/b", "http://h/b"},
		{"RFC3986 5.2.4 empty segments are kept", "http://h/a//b/", "http://h/a//b/"},
		{"RFC3986 6.2.3 default http port removed", "http://h:80/", "http://h/"},
		{"RFC3986 6.2.3 default https port removed", "https://h:443/", "https://h/"},
		{"RFC3986 6.2.3 port with leading zeros is the same port", "https://h:00443/", "https://h/"},
		{"RFC3986 6.2.3 non-default port kept", "http://h:8080/", "http://h:8080/"},
		{"RFC3986 6.2.3 https port on http is not the default", "http://h:443/", "http://h:443/"},
		{"RFC3986 6.2.3 empty port removed", "http://h:/", "http://h/"},
		{"RFC3986 6.2.3 empty path is /", "http://h", "http://h/"},
		{"RFC3986 6.2.3 empty path with a query is /", "http://h?a=1", "http://h/?a=1"},
		{"IPv6 literal is lower-cased and keeps its port", "http://[FE80::1]:8080/", "http://[fe80::1]:8080/"},
		{"query sorted by name", "http://h/?b=2&c=3&a=1", "http://h/?a=1&b=2&c=3"},
		{"query repeated names keep their relative order", "http://h/?b=1&a=2&b=0&a=1", "http://h/?a=2&a=1&b=1&b=0"},
		{"query '?' with nothing after it is no query", "http://h/x?", "http://h/x"},
		{"query empty parameters dropped", "http://h/?&a=1&&b=2&", "http://h/?a=1&b=2"},
		{"query bare name stays distinct from name=", "http://h/?b=&a", "http://h/?a&b="},
		{"query '+' is a space, written %20", "http://h/?q=a+b%20c", "http://h/?q=a%20b%20c"},
		{"query literal plus stays %2B", "http://h/?q=a%2bb", "http://h/?q=a%2Bb"},
		{"query unreserved decoded, reserved kept", "http://h/?%61=%7e%2F/", "http://h/?a=~%2F/"},
		{"query '=' inside a value kept", "http://h/?a=b=c", "http://h/?a=b=c"},
		{"query invalid escape encoded", "http://h/?a=100%", "http://h/?a=100%25"},
		{"query ignored parameters removed", "http://h/?utm_source=x&a=1&_=123", "http://h/?a=1"},
		{"query ignored parameter matched in any encoding", "http://h/?utm%5Fsource=x&a=1", "http://h/?a=1"},
		{"query only ignored parameters leaves no query", "http://h/?utm_source=x", "http://h/"},
		{"query secret parameters removed", "http://h/?api_key=k&a=1", "http://h/?a=1"},
		{"fragment dropped", "http://h/p?a=1#section", "http://h/p?a=1"},
		{"userinfo is a credential and dropped", "http://user:pw@h/", "http://h/"},
		{"ws default port removed", "ws://h:80/", "ws://h/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := c.NormalizeURL(tt.in)
			if err != nil {
				t.Fatalf("NormalizeURL(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("NormalizeURL(%q) = %q, want %q", tt.in, got, tt.want)
			}
			again, err := c.NormalizeURL(got)
			if err != nil || again != got {
				t.Errorf("NormalizeURL(%q) = %q, %v; want it unchanged", got, again, err)
			}
		})
	}
}

func TestNormalizeURLErrors(t *testing.T) {
	tests := []struct {
		name, in string
		notAbs   bool
	}{
		{"relative reference", "/path?a=1", true},
		{"scheme without host", "http:///path", true},
		{"opaque URL", "mailto:a@example.com", true},
		{"port without host", "http://:80/", true},
		{"unparseable", "http://[::1/", false},
		{"colon in a host that is not an IPv6 literal", "http://::/", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := (&keys.Config{}).NormalizeURL(tt.in)
			if err == nil {
				t.Fatalf("NormalizeURL(%q) = %q, want an error", tt.in, got)
			}
			if errors.Is(err, keys.ErrNotAbsolute) != tt.notAbs {
				t.Errorf("NormalizeURL(%q) error %v; ErrNotAbsolute: want %v", tt.in, err, tt.notAbs)
			}
		})
	}
}

func TestNormalizeURLNilConfig(t *testing.T) {
	var c *keys.Config
	got, err := c.NormalizeURL("HTTP://H:80?b&a")
	if err != nil || got != "http://h/?a&b" {
		t.Errorf("nil Config NormalizeURL = %q, %v; want %q", got, err, "http://h/?a&b")
	}
}
