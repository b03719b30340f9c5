package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/cachedhttp/cachedhttp"
	_ "github.com/cachedhttp/cachedhttp/backends/bbolt"
	_ "github.com/cachedhttp/cachedhttp/backends/dynamodb"
	_ "github.com/cachedhttp/cachedhttp/backends/filesystem"
	_ "github.com/cachedhttp/cachedhttp/backends/gridfs"
	_ "github.com/cachedhttp/cachedhttp/backends/memcache"
	_ "github.com/cachedhttp/cachedhttp/backends/memory"
	_ "github.com/cachedhttp/cachedhttp/backends/mongodb"
	_ "github.com/cachedhttp/cachedhttp/backends/null"
	_ "github.com/cachedhttp/cachedhttp/backends/redis"
)

// defaultDSN is a bbolt file in the working directory. (A DSN like
// "bbolt://./x.db" would name the host ".", which bbolt rejects.)
const defaultDSN = "bbolt:http_cache.db"

// headerFlags collects repeated -H 'Name: value' flags.
type headerFlags []string

func (h *headerFlags) String() string     { return strings.Join(*h, ", ") }
func (h *headerFlags) Set(v string) error { *h = append(*h, v); return nil }

// header returns the flags as a header; a value without a colon is a usage
// error.
func (h headerFlags) header() (http.Header, error) {
	hdr := make(http.Header)
	for _, f := range h {
		k, v, ok := strings.Cut(f, ":")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, usagef("header %q: want 'Name: value'", f)
		}
		hdr.Add(k, strings.TrimSpace(v))
	}
	return hdr, nil
}

func cacheFlag(fs *flag.FlagSet) *string {
	return fs.String("cache", defaultDSN, "cache backend `DSN`")
}

// open returns a Session on the backend named by dsn.
func open(dsn string, opts ...cachedhttp.Option) (*cachedhttp.Session, error) {
	return cachedhttp.NewSession(append([]cachedhttp.Option{cachedhttp.WithBackendDSN(dsn)}, opts...)...)
}

// get fetches a URL through the cache and writes the body (and, with -i,
// the status line and header) to out; without -i the Cache-Status goes to
// errOut.
func get(ctx context.Context, out, errOut io.Writer, args []string) error {
	fs := newFlagSet("get", errOut)
	dsn := cacheFlag(fs)
	include := fs.Bool("i", false, "include the status line and response header in the output")
	refresh := fs.Bool("refresh", false, "revalidate a stored response with the origin before using it")
	offline := fs.Bool("offline", false, "only-if-cached: never contact the origin (504 on a miss)")
	var hdrs headerFlags
	fs.Var(&hdrs, "H", "request header `'Name: value'` (repeatable)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("want exactly one URL")
	}
	h, err := hdrs.header()
	if err != nil {
		return err
	}
	if *refresh {
		ctx = cachedhttp.Refresh(ctx)
	}
	if *offline {
		ctx = cachedhttp.OnlyIfCached(ctx)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fs.Arg(0), nil)
	if err != nil {
		return usagef("%v", err)
	}
	for k, vv := range h {
		req.Header[k] = vv
	}
	if host := h.Get("Host"); host != "" {
		req.Host = host
	}
	sess, err := open(*dsn)
	if err != nil {
		return err
	}
	defer sess.Close()
	resp, err := sess.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if *include {
		fmt.Fprintf(out, "%s %s\r\n", resp.Proto, resp.Status)
		if err := resp.Header.Write(out); err != nil {
			return err
		}
		fmt.Fprint(out, "\r\n")
	} else {
		fmt.Fprintln(errOut, resp.Header.Get("Cache-Status"))
	}
	_, err = io.Copy(out, resp.Body)
	return err
}

// parseAndOpen parses a command's flags, refuses positional arguments and
// opens the cache its -cache flag names.
func parseAndOpen(fs *flag.FlagSet, args []string, dsn *string) (*cachedhttp.Session, error) {
	if err := parseFlags(fs, args); err != nil {
		return nil, err
	}
	if fs.NArg() != 0 {
		return nil, usagef("unexpected arguments %q", fs.Args())
	}
	return open(*dsn)
}

// ls lists stored responses.
func ls(ctx context.Context, out, errOut io.Writer, args []string) error {
	fs := newFlagSet("ls", errOut)
	dsn := cacheFlag(fs)
	long := fs.Bool("l", false, "print whole keys instead of short ones")
	sess, err := parseAndOpen(fs, args, dsn)
	if err != nil {
		return err
	}
	defer sess.Close()
	key := shortKey
	if *long {
		key = func(k string) string { return k }
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "key\tstatus\tmethod\turl\tsize\tcreated\texpires")
	var scanErr error
	for r := range sess.Records(ctx) {
		if r.Err != nil {
			if r.Key == "" { // the scan itself failed
				scanErr = r.Err
				break
			}
			fmt.Fprintf(tw, "%s\terror\t\t%v\t\t\t\n", key(r.Key), r.Err)
			continue
		}
		rec := r.Response
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%d\t%s\t%s\n", key(r.Key), rec.StatusCode, rec.Request.Method, rec.Request.URL,
			len(rec.Body), rec.Created.UTC().Format(time.RFC3339), timeOrNever(rec.Expires))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	return scanErr
}

func timeOrNever(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format(time.RFC3339)
}

// statsCmd counts stored responses and their bytes.
func statsCmd(ctx context.Context, out, errOut io.Writer, args []string) error {
	fs := newFlagSet("stats", errOut)
	dsn := cacheFlag(fs)
	sess, err := parseAndOpen(fs, args, dsn)
	if err != nil {
		return err
	}
	defer sess.Close()
	var n, bad, stale int
	var bytes int64
	now := time.Now()
	for r := range sess.Records(ctx) {
		if r.Err != nil {
			if r.Key == "" {
				return r.Err
			}
			bad++
			continue
		}
		n++
		bytes += int64(len(r.Response.Body))
		if !r.Response.Expires.IsZero() && now.After(r.Response.Expires) {
			stale++
		}
	}
	fmt.Fprintf(out, "responses %d (stale %d), body bytes %d, unreadable %d\n", n, stale, bytes, bad)
	return nil
}

// purge deletes expired responses (and sweeps the entries the store has
// expired), or everything with -all.
func purge(ctx context.Context, out, errOut io.Writer, args []string) error {
	fs := newFlagSet("purge", errOut)
	dsn := cacheFlag(fs)
	all := fs.Bool("all", false, "delete every stored response")
	sess, err := parseAndOpen(fs, args, dsn)
	if err != nil {
		return err
	}
	defer sess.Close()
	if *all {
		if err := sess.Clear(ctx); err != nil {
			return err
		}
		fmt.Fprintln(out, "cleared")
		return nil
	}
	n, err := sess.DeleteExpired(ctx)
	if err != nil {
		return err
	}
	// DeleteExpired also sweeps the stores that keep values past their own
	// expiry (bbolt, filesystem, memory) and counts what they deleted.
	fmt.Fprintf(out, "deleted %d expired responses\n", n)
	return nil
}
