package bbolt

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/cachedhttp/cachedhttp/backends"
)

func init() {
	backends.Register("bbolt", open)
}

// open is the backends.Factory for
// bbolt:///abs/path/cache.db?timeout=1s&max_bytes=N&nosync=true and
// bbolt:relative/path.
func open(_ context.Context, dsn *url.URL) (backends.Backend, error) {
	path := dsn.Path
	if dsn.Opaque != "" {
		path = dsn.Opaque
	}
	if dsn.Host != "" {
		return nil, fmt.Errorf("bbolt: DSN has host %q; write bbolt:///absolute/path or bbolt:relative/path", dsn.Host)
	}
	if path == "" {
		return nil, fmt.Errorf("bbolt: DSN names no file; write bbolt:///absolute/path/cache.db")
	}
	var opts Options
	for name, vals := range dsn.Query() {
		v := vals[len(vals)-1]
		var err error
		switch name {
		case "timeout":
			opts.Timeout, err = time.ParseDuration(v)
		case "max_bytes":
			opts.MaxBytes, err = strconv.ParseInt(v, 10, 64)
		case "nosync":
			opts.NoSync, err = strconv.ParseBool(v)
		default:
			return nil, fmt.Errorf("bbolt: unknown DSN parameter %q (known: timeout, max_bytes, nosync)", name)
		}
		if err != nil {
			return nil, fmt.Errorf("bbolt: DSN parameter %s=%q: %w", name, v, err)
		}
	}
	return Open(path, &opts)
}
