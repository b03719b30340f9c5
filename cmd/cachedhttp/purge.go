package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/cachedhttp/cachedhttp"
	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/backends/bbolt"
	"github.com/cachedhttp/cachedhttp/serializers"
)

// purge deletes expired responses (and sweeps the entries the store has
// expired), or everything with --all.
func purge(ctx context.Context, out, errOut io.Writer, args []string) error {
	fs := newFlagSet("purge", errOut)
	dsn := cacheFlag(fs)
	all := fs.Bool("all", false, "delete every stored response")
	compact := fs.Bool("compact", false, "then rewrite a bbolt file without its free pages, so that it shrinks (no other program may have it open)")
	progressFlag := fs.Bool("progress", false, "print progress on standard error even when it is not a terminal (where it is, a bar is drawn anyway)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	if err := checkExists(*dsn); err != nil {
		return err
	}
	if *compact {
		if err := compactable(*dsn); err != nil {
			return err
		}
	}
	var prog *progress
	if showProgress(fs.Changed("progress"), *progressFlag, errOut) && !*all {
		prog = newProgress(errOut, "purge", isTerminal(errOut), time.Now)
	}
	if err := purgeOpen(ctx, out, *dsn, *all, prog); err != nil {
		return err
	}
	if !*compact {
		return nil
	}
	// The session is closed: the file is free for Compact, which opens
	// it alone.
	bdsn, err := backendDSN(*dsn)
	if err != nil {
		return fmt.Errorf("backend DSN %q: %w", redact(*dsn), err)
	}
	c, err := bbolt.CompactDSN(ctx, bdsn)
	if err != nil {
		return withDSNHint(*dsn, err)
	}
	fmt.Fprintf(out, "compacted %s: %s -> %s\n", redact(*dsn), formatBytes(c.Before), formatBytes(c.After))
	return nil
}

// purgeOpen is purge's work on an open session: clear everything (all),
// or delete the expired responses.
func purgeOpen(ctx context.Context, out io.Writer, dsn string, all bool, prog *progress) error {
	sess, counter, err := openCounted(ctx, dsn)
	if err != nil {
		return err
	}
	defer counter.Backend.Close()
	defer sess.Close()
	if all {
		if err := sess.Clear(ctx); err != nil {
			return err
		}
		fmt.Fprintln(out, "cleared")
		return nil
	}
	if prog != nil {
		// A first pass counts the entries, so the bar can show a
		// fraction; Scan reads no values where the store allows.
		var total int64
		for _, err := range counter.Backend.Scan(ctx) {
			if errors.Is(err, backends.ErrCorrupt) {
				continue // a damaged record: skipped, the scan goes on
			}
			if err != nil {
				return fmt.Errorf("count entries: %w", err)
			}
			total++
		}
		prog.start(total)
		prog.update(0, func() string { return "sweeping what the store has expired" })
		counter.onScan = func(n int64) {
			prog.update(n, func() string { return "checked" })
		}
	}
	n, err := sess.DeleteExpired(ctx)
	if prog != nil {
		prog.finish()
	}
	if err != nil {
		return err
	}
	// DeleteExpired also sweeps the stores that keep values past their own
	// expiry (bbolt, filesystem, memory) and counts what they deleted.
	fmt.Fprintf(out, "deleted %d expired responses\n", n)
	return nil
}

// compactable returns an error unless dsn names a store that
// purge --compact can compact: a bbolt file.
func compactable(dsn string) error {
	u, err := url.Parse(dsn)
	if err != nil {
		return fmt.Errorf("backend DSN %q: %w", redact(dsn), err)
	}
	if !strings.EqualFold(u.Scheme, "bbolt") {
		return fmt.Errorf("purge --compact: %s is not a bbolt file; only bbolt files are compacted (the other stores give space back themselves)", redact(dsn))
	}
	return nil
}

// openCounted opens a Session on the backend named by dsn through a
// countingBackend, which reports how far a scan of it has gone.
func openCounted(ctx context.Context, dsn string) (*cachedhttp.Session, *countingBackend, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return nil, nil, fmt.Errorf("backend DSN %q: %w", redact(dsn), err)
	}
	// As cachedhttp.WithBackendDSN does: serializer parameters choose the
	// serializer and are not the backend's.
	ser, rest, err := serializers.FromQuery(u.Query())
	if err != nil {
		return nil, nil, fmt.Errorf("backend DSN %q: %w", redact(dsn), err)
	}
	u.RawQuery = rest.Encode()
	b, err := backends.Open(ctx, u.String())
	if err != nil {
		return nil, nil, withDSNHint(dsn, err)
	}
	counter := &countingBackend{Backend: b}
	sess, err := cachedhttp.NewSession(cachedhttp.WithBackend(counter), cachedhttp.WithSerializer(ser))
	if err != nil {
		b.Close()
		return nil, nil, err
	}
	return sess, counter, nil
}

// countingBackend is a Backend that calls onScan with the number of
// entries its scans have yielded so far. It offers the optional interfaces
// the library looks for, with the wrapped backend's behaviour: Sweep
// sweeps when the backend can, SetMany sets each item when the backend has
// no batches, and RetainsValues is the backend's answer.
type countingBackend struct {
	backends.Backend
	scanned atomic.Int64
	onScan  func(n int64) // nil: nothing to report
}

// Scan yields what the wrapped backend's Scan yields, counting it.
func (c *countingBackend) Scan(ctx context.Context) iter.Seq2[backends.Entry, error] {
	return func(yield func(backends.Entry, error) bool) {
		for e, err := range c.Backend.Scan(ctx) {
			if !yield(e, err) {
				return
			}
			if n := c.scanned.Add(1); c.onScan != nil && err == nil {
				c.onScan(n)
			}
		}
	}
}

// Sweep implements backends.Sweeper.
func (c *countingBackend) Sweep(ctx context.Context) (int, error) {
	if s, ok := c.Backend.(backends.Sweeper); ok {
		return s.Sweep(ctx)
	}
	return 0, nil
}

// SetMany implements backends.Batcher.
func (c *countingBackend) SetMany(ctx context.Context, items []backends.Item) error {
	if b, ok := c.Backend.(backends.Batcher); ok {
		return b.SetMany(ctx, items)
	}
	for _, it := range items {
		if err := c.Backend.Set(ctx, it.Key, it.Value, it.TTL); err != nil {
			return err
		}
	}
	return nil
}

// RetainsValues implements backends.Retainer.
func (c *countingBackend) RetainsValues() bool {
	r, ok := c.Backend.(backends.Retainer)
	return ok && r.RetainsValues()
}
