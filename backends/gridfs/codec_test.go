package gridfs_test

import (
	"net/url"
	"testing"

	_ "github.com/cachedhttp/cachedhttp/backends/gridfs"
	"github.com/cachedhttp/cachedhttp/models"
	"github.com/cachedhttp/cachedhttp/serializers"
)

// TestImportRegistersBSON checks that importing this package is enough for
// serializer=bson in a DSN (which the cachedhttp package reads with
// serializers.FromQuery).
func TestImportRegistersBSON(t *testing.T) {
	s, _, err := serializers.FromQuery(url.Values{"serializer": {"bson"}})
	if err != nil {
		t.Fatalf("serializer=bson: %v", err)
	}
	rec, err := s.Marshal(&models.Response{StatusCode: 200, Body: []byte("x")})
	if err != nil {
		t.Fatal(err)
	}
	h, err := serializers.Inspect(rec)
	if err != nil {
		t.Fatal(err)
	}
	if h.Codec != serializers.BSON {
		t.Fatalf("serializer=bson writes %q", h)
	}
	if r, err := s.Unmarshal(rec); err != nil || string(r.Body) != "x" {
		t.Fatalf("Unmarshal = %v, %v", r, err)
	}
}
