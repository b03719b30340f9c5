package filesystem

import (
	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/backends/internal/dsnparam"
)

// The DSN is file:///abs/dir?max_bytes=N&max_entries=N&sync=true&touch=true&mode=0640,
// its alias filesystem://, or file:relative/dir; its parameters are the
// fields of Options tagged dsn.
func init() {
	open := dsnparam.Local[Options, *Backend]{Store: "filesystem", Noun: "directory", Placeholder: "dir", Open: Open}.Factory()
	backends.Register("file", open)
	backends.Register("filesystem", open)
}
