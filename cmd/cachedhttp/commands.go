package main

import (
	"context"
	"fmt"
	"io"
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
	"github.com/spf13/pflag"
)

// parseAndOpen parses a command's flags, refuses positional arguments and
// opens the existing cache its --cache flag names.
func parseAndOpen(fs *pflag.FlagSet, args []string, dsn *string) (*cachedhttp.Session, error) {
	if err := parseFlags(fs, args); err != nil {
		return nil, err
	}
	if err := noArgs(fs); err != nil {
		return nil, err
	}
	return openExisting(*dsn)
}

// ls lists stored responses.
func ls(ctx context.Context, out, errOut io.Writer, args []string) error {
	fs := newFlagSet("ls", errOut)
	dsn := cacheFlag(fs)
	long := fs.BoolP("long", "l", false, "print whole keys instead of short ones")
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
