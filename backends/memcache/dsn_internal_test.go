package memcache

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestParseDSN(t *testing.T) {
	tests := []struct {
		name        string
		dsn         string
		wantServers string
		wantOpts    Options
	}{
		{"one server, defaults", "memcache://127.0.0.1:11211", "127.0.0.1:11211", Options{}},
		{"two servers and every option", "memcache://h1:11211,h2:11212/?prefix=app:&timeout=500ms&max_item=2m&max_value=64m&max_idle=8",
			"h1:11211,h2:11212", Options{Prefix: "app:", Timeout: 500 * time.Millisecond, MaxItem: 2 << 20, MaxValue: 64 << 20, MaxIdleConns: 8}},
		{"servers as addr parameters", "memcache://h1:1?addr=[::1]:11211&addr=h3:3", "h1:1,[::1]:11211,h3:3", Options{}},
		{"no host, only addr", "memcache://?addr=h:1", "h:1", Options{}},
		{"sizes in bytes and KiB", "memcache://h:1?max_item=65536&max_value=512k", "h:1", Options{MaxItem: 65536, MaxValue: 512 << 10}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := url.Parse(tt.dsn)
			if err != nil {
				t.Fatal(err)
			}
			servers, opts, err := parseDSN(u)
			if err != nil {
				t.Fatalf("parseDSN(%q): %v", tt.dsn, err)
			}
			if got := strings.Join(servers, ","); got != tt.wantServers {
				t.Errorf("servers = %s; want %s", got, tt.wantServers)
			}
			if opts.Prefix != tt.wantOpts.Prefix || opts.Timeout != tt.wantOpts.Timeout || opts.MaxItem != tt.wantOpts.MaxItem ||
				opts.MaxValue != tt.wantOpts.MaxValue || opts.MaxIdleConns != tt.wantOpts.MaxIdleConns {
				t.Errorf("options = %+v; want %+v", opts, tt.wantOpts)
			}
		})
	}
}

func TestParseDSNErrors(t *testing.T) {
	tests := []struct{ name, dsn, want string }{
		{"no servers", "memcache://", "no servers"},
		{"empty server between commas", "memcache://h:1,,h:2", "empty server"},
		{"unknown parameter", "memcache://h:1?bogus=1", "unknown parameter"},
		{"timeout without unit", "memcache://h:1?timeout=5", "timeout"},
		{"zero timeout", "memcache://h:1?timeout=0s", "timeout"},
		{"bad size", "memcache://h:1?max_item=big", "max_item"},
		{"negative size", "memcache://h:1?max_value=-1", "max_value"},
		{"zero idle connections", "memcache://h:1?max_idle=0", "max_idle"},
		{"a path", "memcache://h:1/db", "path"},
		{"a password", "memcache://u:p@h:1", "no user"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := url.Parse(tt.dsn)
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := parseDSN(u); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("parseDSN(%q) = %v; want an error containing %q", tt.dsn, err, tt.want)
			}
		})
	}
}

func FuzzParseDSN(f *testing.F) {
	for _, s := range []string{
		"memcache://h1:11211,h2:11212/?prefix=app:&timeout=500ms&max_item=2m&max_value=64m&max_idle=8",
		"memcache://?addr=[::1]:11211", "memcache://h:1?max_item=9999999999999m",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := url.Parse(s)
		if err != nil {
			return
		}
		servers, opts, err := parseDSN(u)
		if err != nil {
			return
		}
		if len(servers) == 0 {
			t.Fatalf("parseDSN(%q) succeeded without servers", s)
		}
		for _, srv := range servers {
			if srv == "" {
				t.Fatalf("parseDSN(%q) gave an empty server", s)
			}
		}
		if opts.Timeout < 0 || opts.MaxItem < 0 || opts.MaxValue < 0 || opts.MaxIdleConns < 0 {
			t.Fatalf("parseDSN(%q) gave negative options %+v", s, opts)
		}
	})
}
