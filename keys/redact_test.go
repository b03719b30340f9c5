package keys_test

import (
	"net/http"
	"reflect"
	"testing"

	"github.com/cachedhttp/cachedhttp/keys"
	"github.com/cachedhttp/cachedhttp/models"
)

func TestRedact(t *testing.T) {
	c := &keys.Config{
		IgnoredParams:     []string{"ts"},
		SecretParams:      []string{"api_key"},
		CredentialHeaders: []string{"X-Api-Key"},
	}
	tests := []struct {
		name string
		in   spec
		want models.Request
	}{
		{"credential headers removed, others kept",
			spec{method: "GET", url: "http://h/p", header: http.Header{
				"Authorization": {"Bearer t"}, "Cookie": {"a=1"}, "Proxy-Authorization": {"Basic x"},
				"X-Api-Key": {"k"}, "Accept": {"text/html", "*/*"},
			}},
			models.Request{Method: "GET", URL: "http://h/p", Header: http.Header{"Accept": {"text/html", "*/*"}}}},
		{"credential headers under non-canonical keys removed",
			spec{method: "GET", url: "http://h/p", header: http.Header{"authorization": {"t"}, "x-api-key": {"k"}}},
			models.Request{Method: "GET", URL: "http://h/p", Header: http.Header{}}},
		{"ignored and secret parameters removed, the rest kept as written",
			spec{method: "GET", url: "http://h/p?b=2&ts=1&api%5Fkey=s&a=%7e1&api_key=s2"},
			models.Request{Method: "GET", URL: "http://h/p?b=2&a=%7e1", Header: http.Header{}}},
		{"query of only secrets removed with its '?'",
			spec{method: "GET", url: "http://h/p?api_key=s"},
			models.Request{Method: "GET", URL: "http://h/p", Header: http.Header{}}},
		{"userinfo and fragment removed",
			spec{method: "POST", url: "https://alice:pw@h/p#frag"},
			models.Request{Method: "POST", URL: "https://h/p", Header: http.Header{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := tt.in.request(t)
			got := c.Redact(req)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Redact = %#v\nwant %#v", got, tt.want)
			}
		})
	}
}

// Redaction only affects what is stored: keys come from the request, which
// Redact must leave untouched.
func TestRedactDoesNotChangeKeys(t *testing.T) {
	c := &keys.Config{IgnoredParams: []string{"ts"}, SecretParams: []string{"api_key"}, Secret: []byte("s")}
	s := spec{method: "GET", url: "http://u:p@h/p?api_key=k&ts=1&a=1", header: http.Header{"Authorization": {"t"}, "Accept": {"x"}}}
	req, body := s.request(t)
	before := c.Create(req, body)
	red := c.Redact(req)
	red.Header.Set("Accept", "changed")
	if after := c.Create(req, body); after != before {
		t.Errorf("key changed by Redact: %s -> %s", before, after)
	}
	if req.Header.Get("Authorization") != "t" || req.URL.User == nil || req.URL.RawQuery != "api_key=k&ts=1&a=1" {
		t.Errorf("Redact modified the request: %v %v", req.Header, req.URL)
	}
	if req.Header.Get("Accept") != "x" {
		t.Errorf("Redact output shares header storage with the request")
	}
}
