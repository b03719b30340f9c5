// Package faultsuite measures how a cachedhttp Transport behaves when its
// backend fails, and is the home of the fault suite (TestFaults), which
// holds every network store to the rule that a cache is never worse than no
// cache.
//
// The nouns: a Store is one backend deployment reached through fault
// proxies (internal/faultproxy), or a Server the suite runs itself so that
// it can kill and restart it; a Fault is one way the store fails (refused,
// hung, slow, replies cut mid-frame, killed and restarted), injected before
// the Transport opens the store or after; a cell is one store under one
// fault, and Run measures it into a Result; Markdown renders Results as the
// table that RELIABILITY.md holds.
//
// A cell makes a bounded number of requests to a local Origin and records
// the errors the caller saw, latencies against a no-cache control, stored
// responses lost or served wrong, how long opening and closing took, the
// bytes written to the process's standard error (file descriptor 2 itself
// is redirected, so loggers made at init are caught), and whether caching
// resumed after recovery.
package faultsuite
