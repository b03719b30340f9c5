package gregjones

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/cachedhttp/cachedhttp/models"
	"github.com/cachedhttp/cachedhttp/policy"
)

// Header fields the gregjones Transport adds to what it stores, which are
// not the origin's and are removed by ParseRecord.
const (
	// variedPrefix starts the fields that record, for each field named by
	// Vary, the request's value: X-Varied-Accept: application/json.
	variedPrefix = "X-Varied-"
	// fromCache marks a response served from the cache; a response
	// revalidated with a 304 is stored again with it.
	fromCache = "X-From-Cache"
)

// Entry is one value of a gregjones store.
type Entry struct {
	// Key is the key the gregjones Transport stored the value under: the
	// URL for GET, "METHOD URL" for other methods (HEAD).
	Key string
	// Data is the stored value: the bytes of httputil.DumpResponse.
	Data []byte
	// Stored is when the value was written, when the store knows (a
	// diskcache file's modification time); zero otherwise.
	Stored time.Time
}

// Record is one response the gregjones Transport stored, read by
// ParseRecord.
type Record struct {
	// Key is the gregjones key the response was stored under.
	Key string
	// Response is the stored response as a cachedhttp record:
	//
	//   - status, protocol, header, trailer and body as stored, without the
	//     X-Varied-* and X-From-Cache fields gregjones adds;
	//   - Request holds the method and URL from Key and, as its header,
	//     the request's values of the fields the response varies on (from
	//     the X-Varied-* fields; gregjones records a field only when the
	//     request had a non-empty value, so an absent field may have been
	//     empty);
	//   - RequestTime, ResponseTime and Created are Entry.Stored when the
	//     store knows it, else the Date field, else zero;
	//   - Expires, StaleUntil and Revalidate are what a cachedhttp Transport
	//     with default options would store (policy.Policy{}), at that time.
	//     When the response would not be stored (no-store, no freshness and
	//     no validator), or its time is unknown, Revalidate is set: it must
	//     not be used without asking the origin, as gregjones itself treats
	//     a response without Date as stale.
	Response *models.Response
}

// ParseRecord reads the value the gregjones Transport stored under e.Key.
// It never panics: a value that is not a complete dumped response (cut
// short, bad chunking, trailing bytes), or a key that is not "URL" or
// "METHOD URL" with an absolute URL, is an error matching ErrInvalidRecord.
func ParseRecord(e Entry) (*Record, error) {
	method, rawURL, err := SplitKey(e.Key)
	if err != nil {
		return nil, err
	}
	u, _ := url.Parse(rawURL) // SplitKey checked it
	req := &http.Request{Method: method, URL: u, Header: http.Header{}, Host: u.Host}
	data := bytes.NewReader(e.Data)
	br := bufio.NewReader(data)
	resp, err := http.ReadResponse(br, req)
	if err != nil {
		return nil, fmt.Errorf("gregjones: record %q: %w: %w", e.Key, ErrInvalidRecord, err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("gregjones: record %q: body: %w: %w", e.Key, ErrInvalidRecord, err)
	}
	if n := br.Buffered() + data.Len(); n > 0 {
		return nil, fmt.Errorf("gregjones: record %q: %d bytes after the response: %w", e.Key, n, ErrInvalidRecord)
	}
	if len(body) == 0 {
		body = nil
	}

	h := resp.Header
	if h == nil {
		h = http.Header{}
	}
	reqHeader := http.Header{}
	for _, v := range h.Values("Vary") {
		for name := range strings.SplitSeq(v, ",") {
			name = http.CanonicalHeaderKey(strings.TrimSpace(name))
			if name == "" || name == "*" {
				continue
			}
			if vals, ok := h[variedPrefix+name]; ok && len(vals) > 0 {
				reqHeader[name] = []string{vals[0]}
			}
		}
	}
	for k := range h {
		if strings.HasPrefix(k, variedPrefix) || k == fromCache {
			delete(h, k)
		}
	}

	rec := &models.Response{
		StatusCode: resp.StatusCode,
		Proto:      resp.Proto, ProtoMajor: resp.ProtoMajor, ProtoMinor: resp.ProtoMinor,
		Header:  h,
		Body:    body,
		Request: models.Request{Method: method, URL: rawURL, Header: reqHeader},
	}
	if len(resp.Trailer) > 0 {
		rec.Trailer = resp.Trailer
	}
	at := e.Stored
	if at.IsZero() {
		if d, ok := policy.ParseHTTPDate(h.Get("Date")); ok {
			at = d
		}
	}
	rec.RequestTime, rec.ResponseTime, rec.Created = at, at, at
	rec.Revalidate = true
	if !at.IsZero() {
		st := (&policy.Policy{}).Storable(req, policy.Controls{}, nil, rec.HTTPResponse(req), at, at)
		if st.OK {
			rec.Expires, rec.StaleUntil, rec.Revalidate = st.Expires, st.StaleUntil, st.Revalidate
		} else {
			rec.Expires = at
		}
	}
	return &Record{Key: e.Key, Response: rec}, nil
}

// NewRequest returns the request the record answers: its method and URL,
// with the header fields the response varies on.
func (r *Record) NewRequest(ctx context.Context) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, r.Response.Request.Method, r.Response.Request.URL, nil)
	if err != nil {
		return nil, fmt.Errorf("gregjones: record %q: %w", r.Key, err)
	}
	for k, vv := range r.Response.Request.Header {
		req.Header[k] = append([]string(nil), vv...)
	}
	return req, nil
}

// Key returns the key the gregjones Transport stores the response to a
// request with this method and URL under: the URL for GET, "METHOD URL"
// otherwise. rawURL is normalised as net/http would send it (parsed and
// printed again), because gregjones keys are req.URL.String().
func Key(method, rawURL string) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", fmt.Errorf("gregjones: key of %q: %w", rawURL, err)
	}
	if !u.IsAbs() || u.Host == "" {
		return "", fmt.Errorf("gregjones: key of %q: the URL is not absolute", rawURL)
	}
	if method == "" || method == http.MethodGet {
		return u.String(), nil
	}
	return method + " " + u.String(), nil
}

// SplitKey returns the method and URL of a gregjones key ("URL" for GET,
// "METHOD URL" otherwise). The URL must be absolute; otherwise the error
// matches ErrInvalidRecord.
func SplitKey(key string) (method, rawURL string, err error) {
	method, rawURL = http.MethodGet, key
	if m, u, ok := strings.Cut(key, " "); ok && isToken(m) {
		method, rawURL = m, u
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", "", fmt.Errorf("gregjones: key %q: %w: %w", key, ErrInvalidRecord, err)
	}
	if !u.IsAbs() || u.Host == "" {
		return "", "", fmt.Errorf("gregjones: key %q: the URL is not absolute: %w", key, ErrInvalidRecord)
	}
	return method, rawURL, nil
}

// isToken reports whether s is an HTTP token (a method name).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}
