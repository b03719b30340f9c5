// Package serializers turns stored responses (models.Response) into bytes
// and back. A Serializer is a codec (compact, msgpack, JSON, BSON) followed
// by byte stages (compression, signing, encryption). Every record starts
// with a header naming the format version, the codec and the stages, so
// that a record is decoded by the pipeline that wrote it or rejected as a
// clean miss; a reader never guesses.
//
// Four nouns:
//
//   - A Codec encodes a response: Compact (the default: a binary layout a
//     hundred bytes longer than the body, format version 2), Msgpack (the
//     default of earlier releases, version 1, still read by Compact
//     pipelines), JSON (indented, readable with cat) or BSON (native
//     types).
//     BSON is implemented in package serializers/bsoncodec, which
//     registers its Encoding when imported (RegisterCodec), so that only
//     programs that use BSON compile the MongoDB driver.
//   - A Stage transforms the encoded bytes: Zstd or Gzip compression, Sign
//     (HMAC-SHA256) or Encrypt (AES-256-GCM), the last two with key
//     rotation by key id.
//   - A Pipeline is a codec and its stages: stages run forward on write and
//     in reverse on read. NewPipeline builds one, Default returns the
//     default (compact + zstd), Plain the default of in-memory stores
//     (compact alone), FromQuery builds one from DSN parameters.
//   - A Header starts every record: a text line such as "cachedhttp v1
//     msgpack zstd aes-256-gcm:2026-05" in version 1, five bytes and the
//     stages in version 2 (described as "cachedhttp v2 compact zstd");
//     Inspect reads either without decoding the rest.
//
// Unmarshal accepts only records whose header matches its pipeline (same
// version, codec, stages in the same order, and a key it holds for each
// keyed stage) and which then decode cleanly; everything else, including
// truncated and tampered records, is an error matching ErrInvalidRecord, so
// a cache can treat it as a miss.
//
// Compression stages learn whether a body is worth compressing from the
// pipeline, which looks at the response's Content-Encoding and Content-Type
// and estimates whether the body is random before running the stages (a
// stage sees only bytes). They also skip inputs under MinCompressSize and
// inputs that would shrink by less than 1/16, and record a flag byte saying
// which they did. Decompression is bounded by
// MaxDecompressedSize (1 GiB by default).
//
// FORMAT.md in this directory specifies the record format and the rules for
// changing it: a new version for any change, old versions never altered,
// golden records in testdata/serializers append-only.
package serializers

import "github.com/cachedhttp/cachedhttp/models"

// Serializer encodes and decodes stored responses.
type Serializer interface {
	// Marshal encodes r. It does not modify r.
	Marshal(r *models.Response) ([]byte, error)
	// Unmarshal decodes data. A record that is foreign, corrupt, tampered
	// with, written by another pipeline or by an unknown format version
	// returns an error matching ErrInvalidRecord. The returned response may
	// share memory with data.
	Unmarshal(data []byte) (*models.Response, error)
}
