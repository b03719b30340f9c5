package serializers

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/cachedhttp/cachedhttp/models"
)

// jsonCodec encodes a response as indented JSON meant for people: the body
// is text when it is valid UTF-8 and base64 otherwise (body_encoding says
// which), HTML characters are not escaped, and times are RFC 3339 with
// nanoseconds. Times keep their instant and UTC offset but not their
// location name; the zero time is left out and reads back as zero.
type jsonCodec struct{}

// jsonRecord is the JSON layout of format v1. Header maps and VaryIndex use
// omitzero so that nil is left out while an empty map or slice is written
// as {} or [], keeping the two apart.
type jsonRecord struct {
	Status       int         `json:"status"`
	Proto        string      `json:"proto,omitempty"`
	ProtoMajor   int         `json:"proto_major,omitempty"`
	ProtoMinor   int         `json:"proto_minor,omitempty"`
	Header       http.Header `json:"header,omitzero"`
	Trailer      http.Header `json:"trailer,omitzero"`
	BodyEncoding string      `json:"body_encoding"`
	Body         string      `json:"body"`
	Request      jsonRequest `json:"request"`
	RequestTime  time.Time   `json:"request_time,omitzero"`
	ResponseTime time.Time   `json:"response_time,omitzero"`
	Created      time.Time   `json:"created,omitzero"`
	Expires      time.Time   `json:"expires,omitzero"`
	StaleUntil   time.Time   `json:"stale_until,omitzero"`
	Revalidate   bool        `json:"revalidate,omitempty"`
	VaryIndex    []string    `json:"vary_index,omitzero"`
}

type jsonRequest struct {
	Method string      `json:"method,omitempty"`
	URL    string      `json:"url,omitempty"`
	Header http.Header `json:"header,omitzero"`
}

// Body encodings of the JSON codec.
const (
	bodyText   = "text"
	bodyBase64 = "base64"
)

// errNotUTF8 is returned by the JSON codec for a string field that is not
// valid UTF-8: encoding/json would silently replace the bad bytes.
var errNotUTF8 = errors.New("not valid UTF-8 (JSON would alter it; use msgpack or bson)")

// checkUTF8 reports the first string of r, other than the body, that JSON
// cannot carry unchanged.
func checkUTF8(r *models.Response) error {
	for _, f := range []struct {
		name string
		h    http.Header
	}{{"header", r.Header}, {"trailer", r.Trailer}, {"request header", r.Request.Header}} {
		for k, vs := range f.h {
			if !utf8.ValidString(k) {
				return fmt.Errorf("%s name %q: %w", f.name, k, errNotUTF8)
			}
			for _, v := range vs {
				if !utf8.ValidString(v) {
					return fmt.Errorf("%s %s value %q: %w", f.name, k, v, errNotUTF8)
				}
			}
		}
	}
	for _, s := range append([]string{r.Proto, r.Request.Method, r.Request.URL}, r.VaryIndex...) {
		if !utf8.ValidString(s) {
			return fmt.Errorf("field %q: %w", s, errNotUTF8)
		}
	}
	return nil
}

func (jsonCodec) AppendEncode(dst []byte, r *models.Response) ([]byte, error) {
	if err := checkUTF8(r); err != nil {
		return nil, err
	}
	rec := jsonRecord{
		Status:       r.StatusCode,
		Proto:        r.Proto,
		ProtoMajor:   r.ProtoMajor,
		ProtoMinor:   r.ProtoMinor,
		Header:       r.Header,
		Trailer:      r.Trailer,
		Request:      jsonRequest{Method: r.Request.Method, URL: r.Request.URL, Header: r.Request.Header},
		RequestTime:  r.RequestTime,
		ResponseTime: r.ResponseTime,
		Created:      r.Created,
		Expires:      r.Expires,
		StaleUntil:   r.StaleUntil,
		Revalidate:   r.Revalidate,
		VaryIndex:    r.VaryIndex,
	}
	if utf8.Valid(r.Body) {
		rec.BodyEncoding, rec.Body = bodyText, string(r.Body)
	} else {
		rec.BodyEncoding, rec.Body = bodyBase64, base64.StdEncoding.EncodeToString(r.Body)
	}
	w := &appendWriter{b: dst}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(&rec); err != nil {
		return nil, err
	}
	return w.b, nil
}

func (jsonCodec) Decode(data []byte) (*models.Response, error) {
	// The encoder ends a record with "}\n"; anything else is truncated or
	// has data appended, even if it would still parse.
	if !bytes.HasSuffix(data, []byte("}\n")) {
		return nil, errors.New(`record does not end with "}\n" (truncated or extended)`)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var rec jsonRecord
	if err := dec.Decode(&rec); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the JSON record")
	}
	r := &models.Response{
		StatusCode:   rec.Status,
		Proto:        rec.Proto,
		ProtoMajor:   rec.ProtoMajor,
		ProtoMinor:   rec.ProtoMinor,
		Header:       rec.Header,
		Trailer:      rec.Trailer,
		Request:      models.Request{Method: rec.Request.Method, URL: rec.Request.URL, Header: rec.Request.Header},
		RequestTime:  rec.RequestTime,
		ResponseTime: rec.ResponseTime,
		Created:      rec.Created,
		Expires:      rec.Expires,
		StaleUntil:   rec.StaleUntil,
		Revalidate:   rec.Revalidate,
		VaryIndex:    rec.VaryIndex,
	}
	switch rec.BodyEncoding {
	case bodyText:
		if rec.Body != "" {
			r.Body = []byte(rec.Body)
		}
	case bodyBase64:
		b, err := base64.StdEncoding.DecodeString(rec.Body)
		if err != nil {
			return nil, fmt.Errorf("body: %w", err)
		}
		if len(b) > 0 {
			r.Body = b
		}
	default:
		return nil, fmt.Errorf("unknown body_encoding %.20q", rec.BodyEncoding)
	}
	return r, nil
}
