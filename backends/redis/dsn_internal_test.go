package redis

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestParseDSN(t *testing.T) {
	tests := []struct {
		name  string
		dsn   string
		check func(t *testing.T, d *dsn)
	}{
		{
			name: "single server with db, prefix and a go-redis option",
			dsn:  "redis://user:secret@cache.example:6390/3?prefix=app:&dial_timeout=2s&scan_count=100",
			check: func(t *testing.T, d *dsn) {
				o := d.single
				if o == nil {
					t.Fatal("not a single-server DSN")
				}
				if o.Addr != "cache.example:6390" || o.DB != 3 || o.Username != "user" || o.Password != "secret" || o.DialTimeout != 2*time.Second || o.TLSConfig != nil {
					t.Errorf("options = addr %q db %d user %q pass %q dial %v tls %v", o.Addr, o.DB, o.Username, o.Password, o.DialTimeout, o.TLSConfig != nil)
				}
				if d.opts.Prefix != "app:" || d.opts.ScanCount != 100 {
					t.Errorf("backend options = %+v", d.opts)
				}
			},
		},
		{
			name: "rediss enables TLS",
			dsn:  "rediss://cache.example:6380/0",
			check: func(t *testing.T, d *dsn) {
				if d.single == nil || d.single.TLSConfig == nil {
					t.Fatal("want a single-server client with TLS")
				}
			},
		},
		{
			name: "no port means 6379 and no prefix means the default",
			dsn:  "redis://localhost",
			check: func(t *testing.T, d *dsn) {
				if d.single.Addr != "localhost:6379" || d.opts.Prefix != "" {
					t.Errorf("addr %q prefix %q", d.single.Addr, d.opts.Prefix)
				}
			},
		},
		{
			name: "cluster seeds separated by commas",
			dsn:  "redis+cluster://h1:7000,h2:7001,h3:7002?prefix=c:&read_only=true",
			check: func(t *testing.T, d *dsn) {
				o := d.cluster
				if o == nil {
					t.Fatal("not a cluster DSN")
				}
				if strings.Join(o.Addrs, ",") != "h1:7000,h2:7001,h3:7002" || !o.ReadOnly || d.opts.Prefix != "c:" {
					t.Errorf("addrs %v read_only %v prefix %q", o.Addrs, o.ReadOnly, d.opts.Prefix)
				}
			},
		},
		{
			name: "cluster seeds as addr parameters",
			dsn:  "rediss+cluster://h1:7000?addr=h2:7001&addr=[::1]:7002",
			check: func(t *testing.T, d *dsn) {
				if strings.Join(d.cluster.Addrs, ",") != "h1:7000,h2:7001,[::1]:7002" || d.cluster.TLSConfig == nil {
					t.Errorf("addrs %v tls %v", d.cluster.Addrs, d.cluster.TLSConfig != nil)
				}
			},
		},
		{
			name: "sentinel with master, db and both credentials",
			dsn:  "redis+sentinel://data:pw@s1:26379,s2:26380/2?master=mymaster&sentinel_password=spw&prefix=s:",
			check: func(t *testing.T, d *dsn) {
				o := d.failover
				if o == nil {
					t.Fatal("not a sentinel DSN")
				}
				if strings.Join(o.SentinelAddrs, ",") != "s1:26379,s2:26380" || o.MasterName != "mymaster" || o.DB != 2 {
					t.Errorf("sentinels %v master %q db %d", o.SentinelAddrs, o.MasterName, o.DB)
				}
				if o.Username != "data" || o.Password != "pw" || o.SentinelPassword != "spw" || d.opts.Prefix != "s:" {
					t.Errorf("user %q pass %q sentinel pass %q prefix %q", o.Username, o.Password, o.SentinelPassword, d.opts.Prefix)
				}
			},
		},
		{
			name: "sentinel accepts master_name too",
			dsn:  "redis+sentinel://s1:26379?master_name=other",
			check: func(t *testing.T, d *dsn) {
				if d.failover.MasterName != "other" {
					t.Errorf("master %q", d.failover.MasterName)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := url.Parse(tt.dsn)
			if err != nil {
				t.Fatal(err)
			}
			d, err := parseDSN(u)
			if err != nil {
				t.Fatalf("parseDSN(%q): %v", tt.dsn, err)
			}
			tt.check(t, d)
		})
	}
}

// clientTimeouts gathers the timeout fields of whichever client d names.
func clientTimeouts(d *dsn) timeouts {
	switch {
	case d.single != nil:
		o := d.single
		return timeouts{o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.PoolTimeout, o.MaxRetries, o.DialerRetries, o.ContextTimeoutEnabled}
	case d.cluster != nil:
		o := d.cluster
		return timeouts{o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.PoolTimeout, o.MaxRetries, o.DialerRetries, o.ContextTimeoutEnabled}
	default:
		o := d.failover
		return timeouts{o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.PoolTimeout, o.MaxRetries, o.DialerRetries, o.ContextTimeoutEnabled}
	}
}

// Every kind of client a DSN opens gets the cache's timeouts, with the
// caller's context deadline honoured while a reply is read
// (ContextTimeoutEnabled, which go-redis's own URL parsers leave off for a
// single server and a cluster and cannot turn on), and each can be set
// from the DSN.
func TestDSNTimeouts(t *testing.T) {
	for _, dsnBase := range []string{"redis://h:1/0", "redis+cluster://h:1,h:2", "redis+sentinel://s:26379/0?master=m"} {
		sep := "?"
		if strings.Contains(dsnBase, "?") {
			sep = "&"
		}
		t.Run(dsnBase, func(t *testing.T) {
			u, _ := url.Parse(dsnBase)
			d, err := parseDSN(u)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := clientTimeouts(d), defaultTimeouts(); got != want {
				t.Errorf("defaults: %+v, want %+v", got, want)
			}
			u, _ = url.Parse(dsnBase + sep + "dial_timeout=2s&read_timeout=3&write_timeout=0&pool_timeout=750ms&max_retries=-1&dialer_retries=3&context_timeout_enabled=false")
			if d, err = parseDSN(u); err != nil {
				t.Fatal(err)
			}
			want := timeouts{dial: 2 * time.Second, read: 3 * time.Second, write: -1, pool: 750 * time.Millisecond, maxRetries: -1, dialAttempts: 3}
			if got := clientTimeouts(d); got != want {
				t.Errorf("from the DSN: %+v, want %+v", got, want)
			}
		})
	}
	for _, bad := range []string{"read_timeout=soon", "max_retries=x", "max_retries=-2", "dialer_retries=0", "context_timeout_enabled=maybe"} {
		u, _ := url.Parse("redis://h:1/0?" + bad)
		if _, err := parseDSN(u); err == nil {
			t.Errorf("parseDSN accepted %s", bad)
		}
	}
}

func TestParseDSNErrors(t *testing.T) {
	tests := []struct {
		name, dsn, want string
	}{
		{"unknown scheme suffix", "redis+ring://h:1", "unsupported scheme"},
		{"unknown parameter", "redis://h:1?bogus=1", "unexpected option"},
		{"scan_count not a number", "redis://h:1?scan_count=x", "scan_count"},
		{"scan_count zero", "redis://h:1?scan_count=0", "scan_count"},
		{"several hosts without cluster or sentinel", "redis://h1:1,h2:2", "several hosts"},
		{"master on a plain DSN", "redis://h:1?master=m", "redis+sentinel"},
		{"sentinel without master", "redis+sentinel://h:26379", "master=NAME"},
		{"cluster with a database other than 0", "redis+cluster://h:7000/3", "only database 0"},
		{"empty host between commas", "redis+cluster://h1:1,,h2:2", "empty host"},
		{"bad database number", "redis://h:1/x", "database"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := url.Parse(tt.dsn)
			if err != nil {
				t.Fatal(err)
			}
			_, err = parseDSN(u)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("parseDSN(%q) = %v; want an error containing %q", tt.dsn, err, tt.want)
			}
		})
	}
}

func TestEscapeGlob(t *testing.T) {
	tests := []struct{ in, want string }{
		{"cachedhttp:", "cachedhttp:"},
		{"a*b?c", `a\*b\?c`},
		{"[x-y]^", `\[x\-y\]\^`},
		{`back\slash`, `back\\slash`},
	}
	for _, tt := range tests {
		if got := escapeGlob(tt.in); got != tt.want {
			t.Errorf("escapeGlob(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzParseDSN(f *testing.F) {
	for _, s := range []string{
		"redis://user:pw@h:6379/2?prefix=p:&dial_timeout=2s",
		"rediss+cluster://h1:1,h2:2?addr=h3:3&read_only=true",
		"redis+sentinel://:pw@s1:26379,s2:26379/0?master=m&sentinel_password=x",
		"redis://h/x", "redis+ring://h",
		"redis://h:1/0?read_timeout=3&write_timeout=-1&pool_timeout=1.5s&max_retries=-1&dialer_retries=2&context_timeout_enabled=0",
		"redis+cluster://h:1?dial_timeout=0&read_timeout=1e3ms",
		"redis://h:1/0?read_timeout=99999999999",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := url.Parse(s)
		if err != nil {
			return
		}
		d, err := parseDSN(u)
		if err != nil {
			return
		}
		n := 0
		for _, set := range []bool{d.single != nil, d.cluster != nil, d.failover != nil} {
			if set {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("parseDSN(%q) set %d client kinds; want exactly one", s, n)
		}
		if d.opts.ScanCount < 0 {
			t.Fatalf("parseDSN(%q) gave ScanCount %d", s, d.opts.ScanCount)
		}
		if d.failover != nil && d.failover.MasterName == "" {
			t.Fatalf("parseDSN(%q) gave a sentinel client without a master name", s)
		}
		// Every timeout is a bound or "none" (-1), never go-redis's "use
		// the default" (0), which would bring its 5 s dials back.
		tm := clientTimeouts(d)
		for _, v := range []time.Duration{tm.dial, tm.read, tm.write, tm.pool} {
			if v == 0 || v < -1 {
				t.Fatalf("parseDSN(%q) gave timeouts %+v", s, tm)
			}
		}
		if tm.dialAttempts < 1 {
			t.Fatalf("parseDSN(%q) gave %d dial attempts", s, tm.dialAttempts)
		}
	})
}
