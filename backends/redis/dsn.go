package redis

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	goredis "github.com/redis/go-redis/v9"

	"github.com/cachedhttp/cachedhttp/backends"
)

// Schemes are the DSN schemes this package registers with backends.Register.
var Schemes = []string{"redis", "rediss", "redis+cluster", "rediss+cluster", "redis+sentinel", "rediss+sentinel"}

func init() {
	for _, s := range Schemes {
		backends.Register(s, open)
	}
}

// open is the backends.Factory of every scheme in Schemes.
func open(_ context.Context, u *url.URL) (backends.Backend, error) {
	d, err := parseDSN(u)
	if err != nil {
		return nil, err
	}
	var client goredis.UniversalClient
	switch {
	case d.cluster != nil:
		client = goredis.NewClusterClient(d.cluster)
	case d.failover != nil:
		client = goredis.NewFailoverClient(d.failover)
	default:
		client = goredis.NewClient(d.single)
	}
	d.opts.CloseClient = true
	b, err := New(client, d.opts)
	if err != nil {
		_ = client.Close()
		return nil, err
	}
	return b, nil
}

// dsn is a parsed DSN: exactly one of single, cluster and failover is set.
type dsn struct {
	single   *goredis.Options
	cluster  *goredis.ClusterOptions
	failover *goredis.FailoverOptions
	opts     Options
}

// parseDSN splits u into this package's parameters and the go-redis options
// of the client it names.
func parseDSN(u *url.URL) (*dsn, error) {
	base, mode, _ := strings.Cut(strings.ToLower(u.Scheme), "+")
	if base != "redis" && base != "rediss" {
		return nil, fmt.Errorf("redis dsn: unsupported scheme %q", u.Scheme)
	}
	if mode != "" && mode != "cluster" && mode != "sentinel" {
		return nil, fmt.Errorf("redis dsn: unsupported scheme %q (want redis, redis+cluster or redis+sentinel)", u.Scheme)
	}
	q := u.Query()
	d := &dsn{}
	d.opts.Prefix = take(q, "prefix")
	if s := take(q, "scan_count"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("redis dsn: scan_count %q: want a positive integer", s)
		}
		d.opts.ScanCount = n
	}
	master := take(q, "master")
	if m := take(q, "master_name"); m != "" {
		master = m
	}
	tmo, err := takeTimeouts(q)
	if err != nil {
		return nil, err
	}
	sentinelUser := take(q, "sentinel_username")
	sentinelPass := take(q, "sentinel_password")
	if mode != "sentinel" && (master != "" || sentinelUser != "" || sentinelPass != "") {
		return nil, fmt.Errorf("redis dsn: master, sentinel_username and sentinel_password need a redis+sentinel:// DSN")
	}

	hosts := strings.Split(u.Host, ",")
	for i, h := range hosts {
		if h == "" {
			return nil, fmt.Errorf("redis dsn: empty host in %q", u.Host)
		}
		if i > 0 {
			q.Add("addr", h)
		}
	}
	rebuilt := &url.URL{Scheme: base, User: u.User, Host: hosts[0], Path: u.Path, RawQuery: q.Encode()}

	switch mode {
	case "":
		if len(hosts) > 1 || q.Has("addr") {
			return nil, fmt.Errorf("redis dsn: several hosts need redis+cluster:// or redis+sentinel://")
		}
		d.single, err = goredis.ParseURL(rebuilt.String())
	case "cluster":
		if p := strings.Trim(u.Path, "/"); p != "" && p != "0" {
			return nil, fmt.Errorf("redis dsn: a cluster has only database 0, not %q", p)
		}
		rebuilt.Path = ""
		d.cluster, err = goredis.ParseClusterURL(rebuilt.String())
	case "sentinel":
		if master == "" {
			return nil, fmt.Errorf("redis dsn: redis+sentinel:// needs master=NAME")
		}
		q.Set("master_name", master)
		rebuilt.RawQuery = q.Encode()
		rebuilt.User = nil
		d.failover, err = goredis.ParseFailoverURL(rebuilt.String())
		if err == nil {
			if u.User != nil {
				d.failover.Username = u.User.Username()
				d.failover.Password, _ = u.User.Password()
			}
			d.failover.SentinelUsername = sentinelUser
			d.failover.SentinelPassword = sentinelPass
		}
	}
	if err != nil {
		return nil, fmt.Errorf("redis dsn: %w", err)
	}
	switch {
	case d.single != nil:
		tmo.applySingle(d.single)
	case d.cluster != nil:
		tmo.applyCluster(d.cluster)
	default:
		tmo.applyFailover(d.failover)
	}
	return d, nil
}

// take returns the value of parameter name and removes it from q.
func take(q url.Values, name string) string {
	v := q.Get(name)
	q.Del(name)
	return v
}
