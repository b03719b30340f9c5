package main

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cachedhttp/cachedhttp"
	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/compat/gregjones"
	"github.com/cachedhttp/cachedhttp/serializers"
)

// maxReportedFailures bounds how many failed records migrate names on
// standard error; the rest are only counted.
const maxReportedFailures = 10

// migrate copies every record from one backend to another, or imports a
// gregjones/httpcache store.
//
// Records are opaque bytes to backends, and migrate copies the bytes: the
// serializer header travels with each record, so the destination must be
// read with the serializer configuration (codec, compression, keys) that
// wrote the source. Serializer parameters in either DSN are therefore
// ignored rather than applied.
//
// A gregjones/httpcache source (httpcache-disk:DIR, httpcache-leveldb:DIR,
// httpcache+DSN) is not copied but converted: each stored response becomes
// a cachedhttp record, encoded with the serializer -to's parameters choose.
func migrate(ctx context.Context, _, errOut io.Writer, args []string) error {
	fs := newFlagSet("migrate", errOut)
	from := fs.String("from", "", "source backend `DSN` (it must exist), or a gregjones/httpcache store: httpcache-disk:DIR, httpcache-leveldb:DIR, httpcache+DSN")
	to := fs.String("to", "", "destination backend `DSN` (created if missing)")
	progressFlag := fs.Bool("progress", false, "print progress on standard error even when it is not a terminal (where it is, a bar is drawn anyway)")
	workers := fs.Int("workers", 4, "copy `N` records at a time")
	urls := fs.String("urls", "", "gregjones/httpcache sources: import the responses to the URLs in `FILE` (one per line, \"-\" for standard input); required for httpcache-disk:, whose file names are MD5s of the URLs")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	if *from == "" || *to == "" {
		return usagef("want --from DSN and --to DSN")
	}
	if *workers < 1 {
		return usagef("--workers %d: want at least 1", *workers)
	}
	if gregjones.IsSourceDSN(*to) {
		return usagef("--to %s: gregjones/httpcache stores can only be read", *to)
	}
	withProgress := showProgress(fs.Changed("progress"), *progressFlag, errOut)
	if gregjones.IsSourceDSN(*from) {
		return importGregjones(ctx, errOut, *from, *to, *urls, withProgress, *workers)
	}
	if *urls != "" {
		return usagef("--urls applies to gregjones/httpcache sources only (httpcache-disk:, httpcache-leveldb:, httpcache+DSN)")
	}
	fromDSN, err := backendDSN(*from)
	if err != nil {
		return usagef("--from: %v", err)
	}
	toDSN, err := backendDSN(*to)
	if err != nil {
		return usagef("--to: %v", err)
	}
	if fromDSN == toDSN {
		return usagef("--from and --to name the same backend")
	}
	// The source is read: a missing file or directory is a mistake in
	// --from, not an empty cache to create (and leave behind).
	if err := checkExists(fromDSN); err != nil {
		return fmt.Errorf("--from %w", err)
	}

	src, err := backends.Open(ctx, fromDSN)
	if err != nil {
		return fmt.Errorf("--from: %w", withDSNHint(*from, err))
	}
	defer src.Close()
	dst, err := backends.Open(ctx, toDSN)
	if err != nil {
		return fmt.Errorf("--to: %w", withDSNHint(*to, err))
	}
	opts := migrateOptions{now: time.Now, workers: *workers, errOut: errOut}
	if withProgress {
		opts.progress = newProgress(errOut, "migrate", isTerminal(errOut), time.Now)
	}
	c, err := migrateBackends(ctx, src, dst, opts)
	if cerr := dst.Close(); cerr != nil {
		err = errors.Join(err, fmt.Errorf("close destination: %w", cerr))
	}
	fmt.Fprintf(errOut, "migrate: %s\n", c)
	if err != nil {
		return err
	}
	if c.failed > 0 {
		return fmt.Errorf("%d records failed to copy", c.failed)
	}
	return nil
}

// backendDSN removes serializer parameters from dsn: migrate copies
// encoded records as they are, so they do not apply, and backends reject
// parameters they do not know.
func backendDSN(dsn string) (string, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return "", err
	}
	q := u.Query()
	changed := false
	for _, p := range []string{serializers.ParamSerializer, serializers.ParamCompress, serializers.ParamCompressLevel,
		serializers.ParamSignKeyEnv, serializers.ParamEncryptKeyEnv} {
		if q.Has(p) {
			q.Del(p)
			changed = true
		}
	}
	if changed {
		u.RawQuery = q.Encode()
	}
	return u.String(), nil
}

// migrateOptions configure migrateBackends.
type migrateOptions struct {
	now      func() time.Time // the clock that decides remaining TTLs
	workers  int              // concurrent copies; less than 1 means 1
	progress *progress        // nil: no progress line
	errOut   io.Writer        // where failures are named; nil: nowhere
}

// migrateCounts are what migrateBackends did.
type migrateCounts struct {
	copied  int64 // records written to the destination
	skipped int64 // records expired, or gone before they were read
	failed  int64 // records that could not be read or written
	bytes   int64 // bytes copied
}

// done is how many records have been dealt with.
func (c migrateCounts) done() int64 { return c.copied + c.skipped + c.failed }

// detail is the progress line's text after the count.
func (c migrateCounts) detail() string {
	return fmt.Sprintf("copied %d, skipped %d, failed %d, %s", c.copied, c.skipped, c.failed, formatBytes(c.bytes))
}

func (c migrateCounts) String() string {
	return fmt.Sprintf("copied %d (%s), skipped %d (expired), failed %d", c.copied, formatBytes(c.bytes), c.skipped, c.failed)
}

// migrateBackends copies every entry of src to dst, each with the time to
// live it has left in src (none when src does not know an expiry). Entries
// that expired, or vanished between the scan and the read, are skipped;
// entries that cannot be read or written are counted as failed and the
// copy goes on. A scan error, or ctx ending, stops the copy and is returned
// with the counts so far.
func migrateBackends(ctx context.Context, src, dst backends.Backend, o migrateOptions) (migrateCounts, error) {
	if o.workers < 1 {
		o.workers = 1
	}
	var copied, skipped, failed, nbytes, reported atomic.Int64
	counts := func() migrateCounts {
		return migrateCounts{copied: copied.Load(), skipped: skipped.Load(), failed: failed.Load(), bytes: nbytes.Load()}
	}
	var errMu sync.Mutex
	fail := func(key string, err error) {
		failed.Add(1)
		if o.errOut != nil && reported.Add(1) <= maxReportedFailures {
			errMu.Lock()
			if o.progress != nil {
				o.progress.clear()
			}
			fmt.Fprintf(o.errOut, "migrate: %q: %v\n", key, err)
			errMu.Unlock()
		}
	}
	if o.progress != nil {
		// A first pass counts the entries, so the progress line can show
		// a fraction. Scan does not read values where the store allows.
		var total int64
		for _, err := range src.Scan(ctx) {
			if errors.Is(err, backends.ErrCorrupt) {
				continue // a damaged record: skipped, the scan goes on
			}
			if err != nil {
				return migrateCounts{}, fmt.Errorf("count entries of the source: %w", err)
			}
			total++
		}
		o.progress.start(total)
	}

	copyOne := func(e backends.Entry) {
		if ctx.Err() != nil {
			return // interrupted: neither copied nor failed
		}
		var ttl time.Duration
		if !e.Expires.IsZero() {
			ttl = e.Expires.Sub(o.now())
			if ttl <= 0 {
				skipped.Add(1)
				return
			}
		}
		data, err := src.Get(ctx, e.Key)
		if errors.Is(err, backends.ErrNotFound) {
			skipped.Add(1)
			return
		}
		if err != nil {
			fail(e.Key, fmt.Errorf("read: %w", err))
			return
		}
		// Set may keep the slice, and Get's slice belongs to src: copy.
		data = append([]byte(nil), data...)
		if err := dst.Set(ctx, e.Key, data, ttl); err != nil {
			fail(e.Key, fmt.Errorf("write: %w", err))
			return
		}
		copied.Add(1)
		nbytes.Add(int64(len(data)))
	}

	entries := make(chan backends.Entry)
	var wg sync.WaitGroup
	for range o.workers {
		wg.Go(func() {
			for e := range entries {
				copyOne(e)
			}
		})
	}
	var scanErr error
scan:
	for e, err := range src.Scan(ctx) {
		if errors.Is(err, backends.ErrCorrupt) {
			continue // a damaged record: skipped, the scan goes on
		}
		if err != nil {
			scanErr = fmt.Errorf("scan the source: %w", err)
			break
		}
		select {
		case entries <- e:
		case <-ctx.Done():
			scanErr = ctx.Err()
			break scan
		}
		if o.progress != nil {
			errMu.Lock()
			c := counts()
			o.progress.update(c.done(), c.detail)
			errMu.Unlock()
		}
	}
	close(entries)
	wg.Wait()
	c := counts()
	if o.progress != nil {
		o.progress.finish()
	}
	return c, scanErr
}

// importGregjones converts the gregjones/httpcache store named by from
// into cachedhttp records in the backend named by to (see
// gregjones.Import): each response is stored as a cachedhttp Transport
// would have stored it, under the key that Transport computes.
func importGregjones(ctx context.Context, errOut io.Writer, from, to, urlsFile string, withProgress bool, workers int) error {
	var keys []string
	if urlsFile != "" {
		lines, err := readLines(urlsFile)
		if err != nil {
			return fmt.Errorf("--urls: %w", err)
		}
		if keys, err = gregjones.KeysForURLs(lines); err != nil {
			return usagef("--urls %s: %v", urlsFile, err)
		}
		if len(keys) == 0 {
			return usagef("--urls %s: no URLs", urlsFile)
		}
	}
	if err := checkExists(from); err != nil {
		return fmt.Errorf("--from %w", err)
	}
	src, err := gregjones.OpenSource(ctx, from, keys)
	if errors.Is(err, gregjones.ErrKeysRequired) {
		return usagef("--from %s: diskcache names its files by the MD5 of each URL, so the URLs cannot be listed: give them with --urls FILE", from)
	}
	if err != nil {
		return fmt.Errorf("--from: %w", withDSNHint(strings.TrimPrefix(from, gregjones.SchemeBackendPrefix), err))
	}
	defer src.Close()

	var prog *progress
	if withProgress {
		prog = newProgress(errOut, "migrate", isTerminal(errOut), time.Now)
		total, err := src.Len(ctx)
		if err != nil {
			return err
		}
		prog.start(int64(total))
	}
	reported := 0
	res, err := gregjones.Import(ctx, src, gregjones.ImportOptions{
		// The destination's serializer parameters apply: records are
		// encoded here, not copied.
		Transport: []cachedhttp.Option{cachedhttp.WithBackendDSN(to)},
		Workers:   workers,
		Progress: func(c gregjones.Counts) {
			if prog != nil {
				mc := migrateCounts{copied: c.Imported, skipped: c.Skipped, failed: c.Failed, bytes: c.Bytes}
				prog.update(mc.done(), mc.detail)
			}
		},
		OnError: func(key string, err error) {
			if reported++; reported > maxReportedFailures {
				return
			}
			if prog != nil {
				prog.clear()
			}
			fmt.Fprintf(errOut, "migrate: %q: %v\n", key, err)
		},
	})
	if prog != nil {
		prog.finish()
	}
	fmt.Fprintf(errOut, "migrate: imported %d (%s), skipped %d%s, failed %d\n",
		res.Imported, formatBytes(res.Bytes), res.Skipped, formatReasons(res.Reasons), res.Failed)
	if d, ok := src.(*gregjones.Disk); ok && d.Unnamed() > 0 {
		fmt.Fprintf(errOut, "migrate: %d stored responses are not named by --urls and were not imported (diskcache keeps only the MD5 of each URL)\n", d.Unnamed())
	}
	if err != nil {
		return withDSNHint(to, err)
	}
	if res.Failed > 0 {
		return fmt.Errorf("%d records failed to import", res.Failed)
	}
	return nil
}

// formatReasons writes skip reasons as " (no-freshness 2, head 1)", most
// frequent first.
func formatReasons(m map[string]int64) string {
	if len(m) == 0 {
		return ""
	}
	reasons := slices.Collect(maps.Keys(m))
	slices.SortFunc(reasons, func(a, b string) int {
		if c := cmp.Compare(m[b], m[a]); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	parts := make([]string, len(reasons))
	for i, r := range reasons {
		parts[i] = fmt.Sprintf("%s %d", r, m[r])
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

// readLines returns the lines of the file at path, or of standard input
// for "-".
func readLines(path string) ([]string, error) {
	var r io.Reader = os.Stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	var lines []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	return lines, sc.Err()
}
