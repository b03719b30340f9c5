package bbolt

import (
	"context"
	"fmt"
	"net/url"

	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/backends/internal/dsnparam"
)

// The DSN is bbolt:///abs/path/cache.db?timeout=1s&max_bytes=N&nosync=true&page_size=N
// or bbolt:relative/path; its parameters are the fields of Options tagged
// dsn.
func init() {
	backends.Register("bbolt", dsnparam.Local[Options, *Backend]{Store: "bbolt", Noun: "file", Placeholder: "path", Open: Open}.Factory())
}

// CompactDSN is Compact for the file a bbolt DSN names, with the options
// its parameters give, as backends.Open reads them.
func CompactDSN(ctx context.Context, dsn string) (Compaction, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return Compaction{}, fmt.Errorf("bbolt compact: DSN: %w", err)
	}
	if u.Scheme != "bbolt" {
		return Compaction{}, fmt.Errorf("bbolt compact: DSN scheme %q, want bbolt", u.Scheme)
	}
	path, err := dsnparam.Path(u, "bbolt", "file", "path")
	if err != nil {
		return Compaction{}, fmt.Errorf("bbolt compact: %w", err)
	}
	var opts Options
	if err := dsnparam.Parse("bbolt", u.Query(), &opts); err != nil {
		return Compaction{}, fmt.Errorf("bbolt compact: %w", err)
	}
	return Compact(ctx, path, &opts)
}
