// Package batch holds what the network backends' SetMany
// (backends.Batcher) share: Last keeps the last of several items with one
// key, as storing them in order would, for stores whose batches do not run
// in order (parallel writes, DynamoDB's BatchWriteItem, which refuses a key
// twice); Parallel stores items with a bounded number of calls in flight,
// for stores without a batch command (memcached).
package batch
