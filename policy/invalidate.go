package policy

import (
	"net/http"
	"net/url"
	"strings"
)

// safeMethod reports whether method is safe (RFC 9110 §9.2.1).
func safeMethod(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return true
	}
	return false
}

// invalidations implements Invalidations (RFC 9111 §4.4).
func invalidations(req *http.Request, resp *http.Response) []*url.URL {
	if req == nil || req.URL == nil || resp == nil || safeMethod(req.Method) {
		return nil
	}
	// §4.4: only a non-error status (2xx, 3xx) invalidates.
	if resp.StatusCode < 200 || resp.StatusCode > 399 {
		return nil
	}
	target := *req.URL
	target.Fragment, target.RawFragment = "", ""
	if target.User != nil {
		target.User = nil
	}
	out := []*url.URL{&target}
	seen := map[string]bool{target.String(): true}
	for _, name := range [...]string{"Location", "Content-Location"} {
		v := resp.Header.Get(name)
		if v == "" {
			continue
		}
		ref, err := url.Parse(strings.TrimSpace(v))
		if err != nil {
			continue
		}
		u := req.URL.ResolveReference(ref)
		u.Fragment, u.RawFragment, u.User = "", "", nil
		// §4.4: other URIs only when they share the target's origin.
		if !sameOrigin(req.URL, u) || seen[u.String()] {
			continue
		}
		seen[u.String()] = true
		out = append(out, u)
	}
	return out
}

// sameOrigin compares scheme, host and port (RFC 9110 §4.3.1), with default
// ports made explicit.
func sameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) &&
		strings.EqualFold(a.Hostname(), b.Hostname()) &&
		port(a) == port(b)
}

func port(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	switch strings.ToLower(u.Scheme) {
	case "http":
		return "80"
	case "https":
		return "443"
	}
	return ""
}
