package main

import (
	"context"
	"errors"
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

const defaultDSN = "bbolt://./http_cache.db"

type headerFlags []string

func (h *headerFlags) String() string     { return strings.Join(*h, ", ") }
func (h *headerFlags) Set(v string) error { *h = append(*h, v); return nil }

func open(dsn string, opts ...cachedhttp.Option) (*cachedhttp.Session, error) {
	return cachedhttp.NewSession(append([]cachedhttp.Option{cachedhttp.WithBackendDSN(dsn)}, opts...)...)
}

// get fetches a URL through the cache and writes the body (and, with -i,
// the status line and header) to out.
func get(out, errOut io.Writer, args []string) error {
	fs := flag.NewFlagSet("get", flag.ContinueOnError)
	dsn := fs.String("cache", defaultDSN, "cache backend DSN")
	include := fs.Bool("i", false, "include the status line and response header")
	refresh := fs.Bool("refresh", false, "revalidate a stored response")
	offline := fs.Bool("offline", false, "only-if-cached: never contact the origin")
	var hdrs headerFlags
	fs.Var(&hdrs, "H", "request header `K: V` (repeatable)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("get: want exactly one URL")
	}
	sess, err := open(*dsn)
	if err != nil {
		return err
	}
	defer sess.Close()
	ctx := context.Background()
	if *refresh {
		ctx = cachedhttp.Refresh(ctx)
	}
	if *offline {
		ctx = cachedhttp.OnlyIfCached(ctx)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fs.Arg(0), nil)
	if err != nil {
		return err
	}
	for _, h := range hdrs {
		k, v, ok := strings.Cut(h, ":")
		if !ok {
			return fmt.Errorf("get: header %q: want 'Name: value'", h)
		}
		req.Header.Add(strings.TrimSpace(k), strings.TrimSpace(v))
	}
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

// ls lists stored responses.
func ls(out io.Writer, args []string) error {
	fs := flag.NewFlagSet("ls", flag.ContinueOnError)
	dsn := fs.String("cache", defaultDSN, "cache backend DSN")
	if err := fs.Parse(args); err != nil {
		return err
	}
	sess, err := open(*dsn)
	if err != nil {
		return err
	}
	defer sess.Close()
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "status\tmethod\turl\tsize\tcreated\texpires")
	for r := range sess.Records(context.Background()) {
		if r.Err != nil {
			fmt.Fprintf(tw, "error\t\t%s\t\t\t%v\n", r.Key, r.Err)
			continue
		}
		rec := r.Response
		exp := "never"
		if !rec.Expires.IsZero() {
			exp = rec.Expires.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%s\t%s\n", rec.StatusCode, rec.Request.Method, rec.Request.URL,
			len(rec.Body), rec.Created.UTC().Format(time.RFC3339), exp)
	}
	return tw.Flush()
}

// statsCmd counts stored responses and their bytes.
func statsCmd(out io.Writer, args []string) error {
	fs := flag.NewFlagSet("stats", flag.ContinueOnError)
	dsn := fs.String("cache", defaultDSN, "cache backend DSN")
	if err := fs.Parse(args); err != nil {
		return err
	}
	sess, err := open(*dsn)
	if err != nil {
		return err
	}
	defer sess.Close()
	var n, bad, stale int
	var bytes int64
	now := time.Now()
	for r := range sess.Records(context.Background()) {
		if r.Err != nil {
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

// purge deletes expired responses, or everything with -all.
func purge(out io.Writer, args []string) error {
	fs := flag.NewFlagSet("purge", flag.ContinueOnError)
	dsn := fs.String("cache", defaultDSN, "cache backend DSN")
	all := fs.Bool("all", false, "delete every stored response")
	if err := fs.Parse(args); err != nil {
		return err
	}
	sess, err := open(*dsn)
	if err != nil {
		return err
	}
	defer sess.Close()
	ctx := context.Background()
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
	fmt.Fprintf(out, "deleted %d expired responses\n", n)
	return nil
}
