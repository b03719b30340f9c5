package bsoncodec_test

import (
	"testing"

	"github.com/cachedhttp/cachedhttp/serializers"
	"github.com/cachedhttp/cachedhttp/serializers/internal/serializertest"
)

// FuzzUnmarshalBSON feeds arbitrary payloads to the BSON decoder. Its
// corpus in testdata/fuzz keeps a document that made the driver panic
// before decode validated documents first.
func FuzzUnmarshalBSON(f *testing.F) { serializertest.FuzzCodec(f, serializers.BSON) }
