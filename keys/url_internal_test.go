package keys

import (
	"math/rand/v2"
	"net/url"
	"strings"
	"testing"
)

// TestNormalFastPaths: the paths, hosts and ports copied as they are
// (already normal) come out as the byte-by-byte normalisation writes them,
// over random strings of the characters that matter: upper case, "%",
// dots, slashes, characters outside each set and bytes above 0x7f.
func TestNormalFastPaths(t *testing.T) {
	const alphabet = "aZ09-._~/%2e%2F:@!+ [<\x80$&,;=*'()?#"
	r := rand.New(rand.NewPCG(3, 4))
	random := func() string {
		var b strings.Builder
		for range r.IntN(12) {
			if r.IntN(4) == 0 {
				b.WriteString([]string{"/.", "/..", "%41", "%7e", ".."}[r.IntN(5)])
				continue
			}
			b.WriteByte(alphabet[r.IntN(len(alphabet))])
		}
		return b.String()
	}
	s := getState()
	defer putState(s)
	for i := range 50000 {
		p := random()
		if i%2 == 0 {
			p = "/" + p
		}
		got := string(appendPath(s, nil, p))
		s.tmp = s.tmp[:0]
		if !strings.HasPrefix(p, "/") {
			s.tmp = append(s.tmp, '/')
		}
		s.tmp = appendPercentNormalized(s.tmp, p, &pathSet, false)
		if want := string(appendRemoveDotSegments(nil, s.tmp)); got != want {
			t.Fatalf("path %q: %q, byte by byte %q", p, got, want)
		}

		// A decoded path that takes appendURL's shortcut keys as
		// its escaped form does.
		if isPlainPath(p) {
			u := &url.URL{Path: p}
			if want := string(appendPath(s, nil, escapedPath(u))); p != want {
				t.Fatalf("plain path %q: escaped and normalised %q", p, want)
			}
		}

		host, port := random(), random()
		if i%3 == 0 {
			port = []string{"", "80", "443", "0080", "8080", "08443"}[r.IntN(6)]
		}
		hostport := host
		if i%2 == 0 {
			hostport += ":" + port
		}
		for _, scheme := range []string{"http", "HTTPS", "ftp"} {
			got := string(appendAuthority(nil, scheme, hostport))
			h, pt, _ := splitHostPort(hostport)
			want := appendHost(nil, h)
			for len(pt) > 1 && pt[0] == '0' {
				pt = pt[1:]
			}
			if pt != "" && pt != defaultPort(scheme) {
				want = append(want, ':')
				want = appendPercentNormalized(want, pt, &unreservedSet, false)
			}
			if got != string(want) {
				t.Fatalf("authority %q (%s): %q, byte by byte %q", hostport, scheme, got, want)
			}
		}
	}
}
