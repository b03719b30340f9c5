// Package serializertest holds what the tests of package serializers and of
// the packages that register a codec (serializers/bsoncodec) share, so that
// every codec is held to the same checks:
//
//   - A Spec is one pipeline of the test matrix: a codec with or without
//     compression, encryption and signing; Specs lists all of them for a
//     set of codecs, built with fixed keys (SignKeys, EncryptKeys).
//   - Run is the conformance suite a codec passes: round trips of edge
//     cases, random responses and large bodies, rejection of truncated,
//     extended and tampered records, concurrent use.
//   - Golden records are the records in testdata/serializers written by
//     earlier versions; CheckGoldenRecords decodes them and
//     CheckGoldenRecordsComplete checks that none is left unread.
//   - FuzzCodec is the fuzz target body for one codec's decoder.
//
// Diff compares responses the way a codec must keep them, and Generator
// makes random responses from a seed.
package serializertest
