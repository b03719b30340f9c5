package bbolt

import (
	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/backends/internal/dsnparam"
)

// The DSN is bbolt:///abs/path/cache.db?timeout=1s&max_bytes=N&nosync=true&page_size=N
// or bbolt:relative/path; its parameters are the fields of Options tagged
// dsn.
func init() {
	backends.Register("bbolt", dsnparam.Local[Options, *Backend]{Store: "bbolt", Noun: "file", Placeholder: "path", Open: Open}.Factory())
}
