// Package backoff paces the retries of the network stores: a call that did
// not go through yet (DynamoDB's unprocessed batch items, a MongoDB lock
// another caller holds) is tried again after a pause.
//
// The nouns: an attempt counts the retries (0 for the first); Delay is the
// pause before one, doubling from a base up to a ceiling; Sleep waits a
// pause out, or less when the caller's context ends first.
package backoff
