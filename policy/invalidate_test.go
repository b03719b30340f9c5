package policy

import (
	"net/http"
	"reflect"
	"testing"
)

func TestInvalidations(t *testing.T) {
	tests := []struct {
		name   string
		method string
		target string
		status int
		respH  []string
		want   []string
	}{
		{"RFC9111 4.4 POST invalidates target URI", "POST", "https://example.com/a?x=1#f", 201, nil,
			[]string{"https://example.com/a?x=1"}},
		{"RFC9111 4.4 POST invalidates Location same origin only", "POST", "https://example.com/a", 201,
			[]string{"Location", "/items/1", "Content-Location", "https://other.com/b"},
			[]string{"https://example.com/a", "https://example.com/items/1"}},
		{"RFC9111 4.4 Content-Location same origin invalidated", "PUT", "https://example.com/a", 200,
			[]string{"Content-Location", "https://EXAMPLE.com:443/c"},
			[]string{"https://example.com/a", "https://EXAMPLE.com:443/c"}},
		{"RFC9110 4.3.1 default port is the same origin", "POST", "http://example.com/a", 200,
			[]string{"Location", "http://example.com:80/b"}, []string{"http://example.com/a", "http://example.com:80/b"}},
		{"RFC9111 4.4 other scheme is another origin", "DELETE", "https://example.com/a", 204,
			[]string{"Location", "http://example.com/b"}, []string{"https://example.com/a"}},
		{"RFC9111 4.4 other port is another origin", "PATCH", "https://example.com/a", 200,
			[]string{"Location", "https://example.com:8443/b"}, []string{"https://example.com/a"}},
		{"RFC9111 4.4 relative Location resolved against target", "POST", "https://example.com/dir/a", 303,
			[]string{"Location", "b"}, []string{"https://example.com/dir/a", "https://example.com/dir/b"}},
		{"RFC9111 4.4 duplicate Location not repeated", "POST", "https://example.com/a", 200,
			[]string{"Location", "/a"}, []string{"https://example.com/a"}},
		{"RFC9111 4.4 unknown method invalidates", "PURGE", "https://example.com/a", 200, nil, []string{"https://example.com/a"}},
		{"RFC9111 4.4 error status does not invalidate", "POST", "https://example.com/a", 500, nil, nil},
		{"RFC9111 4.4 client error does not invalidate", "POST", "https://example.com/a", 404, nil, nil},
		{"RFC9111 4.4 safe GET does not invalidate", "GET", "https://example.com/a", 200, nil, nil},
		{"RFC9111 4.4 safe OPTIONS does not invalidate", "OPTIONS", "https://example.com/a", 200, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := newReq(t, tt.method, tt.target)
			var got []string
			for _, u := range Invalidations(req, newResp(req, tt.status, tt.respH...)) {
				got = append(got, u.String())
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Invalidations = %q, want %q", got, tt.want)
			}
		})
	}
	if got := Invalidations(newReq(t, http.MethodPost, "https://example.com/a"), nil); got != nil {
		t.Errorf("Invalidations without response = %v", got)
	}
}
