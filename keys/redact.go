package keys

import (
	"net/http"
	"strings"

	"github.com/cachedhttp/cachedhttp/models"
)

// redact copies what may be stored of req. It never touches req itself, and
// keys are computed from req, so redaction cannot change a key.
func (c *Config) redact(req *http.Request) models.Request {
	if req == nil {
		return models.Request{}
	}
	r := models.Request{Method: req.Method}
	if req.Header != nil {
		r.Header = make(http.Header, len(req.Header))
		for k, vs := range req.Header {
			if c.isCredential(http.CanonicalHeaderKey(k)) {
				continue
			}
			r.Header[k] = append([]string(nil), vs...)
		}
	}
	if req.URL != nil {
		u := *req.URL
		u.User = nil
		u.Fragment, u.RawFragment = "", ""
		u.RawQuery = c.redactQuery(u.RawQuery)
		u.ForceQuery = false
		r.URL = u.String()
	}
	return r
}

// redactQuery removes ignored and secret parameters from a query and leaves
// the others as they were written, in their order.
func (c *Config) redactQuery(raw string) string {
	if raw == "" || !c.hasParamRules() {
		return raw
	}
	s := getState()
	defer putState(s)
	var out strings.Builder
	for raw != "" {
		var piece string
		piece, raw, _ = strings.Cut(raw, "&")
		name, _, _ := strings.Cut(piece, "=")
		if piece == "" || c.classifyRaw(s, name) != paramKept {
			continue
		}
		if out.Len() > 0 {
			out.WriteByte('&')
		}
		out.WriteString(piece)
	}
	return out.String()
}
