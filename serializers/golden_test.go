package serializers_test

import (
	"flag"
	"testing"

	"github.com/cachedhttp/cachedhttp/serializers"
	"github.com/cachedhttp/cachedhttp/serializers/internal/serializertest"
)

var update = flag.Bool("update", false, "write golden records that do not exist yet (never overwrites)")

// goldenDir holds one directory per format version and pipeline, with one
// record per golden response. Goldens are append-only: see FORMAT.md.
const goldenDir = "../testdata/serializers"

// goldenSpecs are the pipelines whose goldens this package reads: those of
// the built-in codecs. The BSON goldens are read by serializers/bsoncodec.
func goldenSpecs() []serializertest.Spec {
	return serializertest.Specs(serializers.Compact, serializers.Msgpack, serializers.JSON)
}

// TestGoldenRecords decodes every golden record of the built-in codecs with
// the pipeline that wrote it and compares it with the response it was
// written from, so that a change that stops old records from reading fails
// here. With -update it first writes the goldens that do not exist yet.
func TestGoldenRecords(t *testing.T) {
	serializertest.CheckGoldenRecords(t, goldenDir, goldenSpecs(), *update)
}

// TestGoldenRecordsAreComplete fails when a golden directory holds a file
// that no test reads, e.g. a pipeline renamed without keeping its goldens.
func TestGoldenRecordsAreComplete(t *testing.T) {
	serializertest.CheckGoldenRecordsComplete(t, goldenDir, goldenSpecs(), "bson")
}
