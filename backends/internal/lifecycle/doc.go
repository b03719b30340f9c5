// Package lifecycle is what every backend operation starts with, and how it
// names itself in the error it returns.
//
// The nouns: a State is a backend's open or closed state; its Check is the
// test every method runs before touching the store (closed, or the caller's
// context done), and Begin is that test with the operation and key named in
// the error, as the backends write their errors ("mongodb get \"k\": ...").
// DescribeKeys names the keys of a multi-key operation without printing
// thousands of them.
package lifecycle
