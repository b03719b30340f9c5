// Package dsnparam reads the DSNs of the stores on local files (bbolt://,
// file://) into their options.
//
// The nouns: Parse sets the fields of a store's options struct, tagged
// `dsn:"name"`, from a DSN's query parameters, and rejects a parameter no
// field is tagged with; Path reads the local path a DSN names; a Local
// describes a store on a local path and makes its backends.Factory from
// those two.
package dsnparam
