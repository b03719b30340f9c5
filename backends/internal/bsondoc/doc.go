// Package bsondoc holds what the MongoDB-backed stores (mongodb, gridfs)
// share about their documents: how a cache key becomes a document name,
// how a TTL becomes the expires field, a validation that never panics, and
// the two ways they read: FindOne, which reports a miss as
// backends.ErrNotFound, and Find, which hands every document of a query to
// a function.
package bsondoc
