package filesystem

import (
	"context"
	"fmt"
	"net/url"
	"strconv"

	"github.com/cachedhttp/cachedhttp/backends"
)

func init() {
	backends.Register("file", open)
	backends.Register("filesystem", open)
}

// open is the backends.Factory for
// file:///abs/dir?max_bytes=N&max_entries=N&sync=true&touch=true&mode=0640, its alias
// filesystem://, and file:relative/dir.
func open(_ context.Context, dsn *url.URL) (backends.Backend, error) {
	dir := dsn.Path
	if dsn.Opaque != "" {
		dir = dsn.Opaque
	}
	if dsn.Host != "" && dsn.Host != "localhost" {
		return nil, fmt.Errorf("filesystem: DSN has host %q; write %s:///absolute/dir or %s:relative/dir", dsn.Host, dsn.Scheme, dsn.Scheme)
	}
	if dir == "" {
		return nil, fmt.Errorf("filesystem: DSN names no directory; write %s:///absolute/dir", dsn.Scheme)
	}
	var opts Options
	for name, vals := range dsn.Query() {
		v := vals[len(vals)-1]
		var err error
		switch name {
		case "max_bytes":
			opts.MaxBytes, err = strconv.ParseInt(v, 10, 64)
		case "max_entries":
			opts.MaxEntries, err = strconv.Atoi(v)
		case "sync":
			opts.Sync, err = strconv.ParseBool(v)
		case "touch":
			opts.TouchOnGet, err = strconv.ParseBool(v)
		case "mode":
			opts.FileMode, err = parseMode(v)
		default:
			return nil, fmt.Errorf("filesystem: unknown DSN parameter %q (known: max_bytes, max_entries, sync, touch, mode)", name)
		}
		if err != nil {
			return nil, fmt.Errorf("filesystem: DSN parameter %s=%q: %w", name, v, err)
		}
	}
	return Open(dir, &opts)
}
