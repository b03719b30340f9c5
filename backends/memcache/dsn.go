package memcache

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/cachedhttp/cachedhttp/backends"
)

func init() {
	backends.Register("memcache", open)
}

// open is the backends.Factory of the memcache scheme.
func open(_ context.Context, u *url.URL) (backends.Backend, error) {
	servers, opts, err := parseDSN(u)
	if err != nil {
		return nil, err
	}
	b, err := New(servers, opts)
	if err != nil {
		return nil, err
	}
	return b, nil
}

// parseDSN returns the servers and options a memcache:// DSN names.
func parseDSN(u *url.URL) ([]string, Options, error) {
	var opts Options
	if u.Path != "" && u.Path != "/" {
		return nil, opts, fmt.Errorf("memcache dsn: unexpected path %q", u.Path)
	}
	if u.User != nil {
		return nil, opts, fmt.Errorf("memcache dsn: memcached has no user or password")
	}
	var servers []string
	if u.Host != "" {
		servers = strings.Split(u.Host, ",")
	}
	q := u.Query()
	servers = append(servers, q["addr"]...)
	for _, s := range servers {
		if s == "" {
			return nil, opts, fmt.Errorf("memcache dsn: empty server in %q", u.Host)
		}
	}
	if len(servers) == 0 {
		return nil, opts, fmt.Errorf("memcache dsn: no servers")
	}
	for name, vals := range q {
		v := vals[len(vals)-1]
		var err error
		switch name {
		case "addr":
		case "prefix":
			opts.Prefix = v
		case "timeout":
			opts.Timeout, err = time.ParseDuration(v)
			if err == nil && opts.Timeout <= 0 {
				err = fmt.Errorf("not positive")
			}
		case "max_item":
			opts.MaxItem, err = parseSize(v)
		case "max_value":
			opts.MaxValue, err = parseSize(v)
		case "max_idle":
			opts.MaxIdleConns, err = strconv.Atoi(v)
			if err == nil && opts.MaxIdleConns <= 0 {
				err = fmt.Errorf("not positive")
			}
		default:
			return nil, opts, fmt.Errorf("memcache dsn: unknown parameter %q", name)
		}
		if err != nil {
			return nil, opts, fmt.Errorf("memcache dsn: %s=%q: %w", name, v, err)
		}
	}
	return servers, opts, nil
}

// parseSize parses a positive byte count with an optional k or m suffix
// (KiB, MiB), as memcached's -I takes it.
func parseSize(s string) (int, error) {
	mult := 1
	switch {
	case strings.HasSuffix(s, "k") || strings.HasSuffix(s, "K"):
		mult, s = 1<<10, s[:len(s)-1]
	case strings.HasSuffix(s, "m") || strings.HasSuffix(s, "M"):
		mult, s = 1<<20, s[:len(s)-1]
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, err
	}
	if n <= 0 || n > (1<<40)/mult {
		return 0, fmt.Errorf("out of range")
	}
	return n * mult, nil
}
