package gregjones

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/cachedhttp/cachedhttp"
)

// ImportOptions configure Import.
type ImportOptions struct {
	// Transport are the options of the cachedhttp Transport (or Session)
	// that will serve the imported records: its backend (WithBackend or
	// WithBackendDSN; without one the records go to a throwaway memory
	// store), and everything that shapes keys and records (key options,
	// serializer, rules such as WithExpireAfter or WithURLRule). Import
	// stores the records with a Transport built from them, so they are
	// keyed, encoded and given freshness exactly as that Transport would
	// have done had it received the responses itself. WithTransport is
	// overridden.
	Transport []cachedhttp.Option
	// Workers is how many records are converted at a time; less than 1
	// means 4.
	Workers int
	// Progress, when set, is called after each record with the counts so
	// far, from one goroutine at a time.
	Progress func(Counts)
	// OnError, when set, is called with each record that could not be read
	// or stored, from one goroutine at a time.
	OnError func(key string, err error)
}

// Counts are what Import did so far.
type Counts struct {
	// Imported counts records stored; Bytes their body bytes.
	Imported, Bytes int64
	// Skipped counts records the Transport would not store (see
	// Result.Reasons): cachedhttp follows RFC 9111 where gregjones stores
	// anything but no-store.
	Skipped int64
	// Failed counts entries that could not be read or parsed.
	Failed int64
}

// Result is what Import did.
type Result struct {
	Counts
	// Reasons counts the skipped records by the reason the Transport gave
	// in its Cache-Status (RFC 9211 detail, or fwd): "no-freshness" (no
	// lifetime and no validator: gregjones would refetch it too),
	// "stale-no-validator", "vary-star", "status", "head" (a HEAD response
	// for a URL whose GET response was imported), "method", ...
	Reasons map[string]int64
}

// replayKey carries the record a replayed request answers, from Import to
// the replay transport, through the request's context.
type replayKey struct{}

// replay is the transport behind Import's cachedhttp Transport: instead of
// the network, it answers each request with the gregjones record Import
// put in the request's context.
type replay struct{}

func (replay) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		req.Body.Close()
	}
	r, ok := req.Context().Value(replayKey{}).(*replayed)
	if !ok {
		return nil, fmt.Errorf("gregjones: import: no record for %s %s", req.Method, req.URL)
	}
	resp := r.rec.Response.HTTPResponse(req)
	if r.date != "" {
		resp.Header.Set("Date", r.date)
	}
	return resp, nil
}

type replayed struct {
	rec  *Record
	date string // a Date field to add to a response that has none
}

// Import converts every record src yields into cachedhttp records: each is
// replayed, as if from the origin, through a cachedhttp Transport built
// from opts.Transport, with ForceRefresh so that it replaces what the
// destination holds for that request. The Transport computes the key
// (with the request header fields the response varies on, from gregjones'
// X-Varied-* fields, so Vary works as if cachedhttp had fetched it),
// decides storability and freshness from the stored Date (so a response
// is as fresh after the import as it was before), and encodes the record.
//
// Records keep their stored Date, and a record without one is given its
// stored time (a diskcache file's modification time) as Date, as RFC 9110
// §6.6.1 asks of a cache; a record with neither is stored to be
// revalidated before use. Created is the time of the import.
//
// Records are read from gregjones keys, which hold no credentials: a
// response to a request with Authorization or Cookie (unless Vary names
// them) is imported under the key of the same request without them.
// GET records are imported before HEAD ones, so a HEAD response never
// replaces the GET response of its URL.
//
// Entries that cannot be read or parsed are counted as failed and the
// import goes on; a failing Source, a Transport that cannot be built, or
// ctx ending stops it, and the counts so far are returned with the error.
// Backend write errors (counted by the Transport) are returned as an error
// after everything else was imported.
func Import(ctx context.Context, src Source, opts ImportOptions) (Result, error) {
	res := Result{Reasons: map[string]int64{}}
	topts := append(slices.Clone(opts.Transport), cachedhttp.WithTransport(replay{}))
	t, err := cachedhttp.NewTransport(topts...)
	if err != nil {
		return res, fmt.Errorf("gregjones: import: %w", err)
	}
	workers := opts.Workers
	if workers < 1 {
		workers = 4
	}

	var mu sync.Mutex // guards res and the callbacks
	fail := func(key string, err error) {
		mu.Lock()
		defer mu.Unlock()
		res.Failed++
		if opts.OnError != nil {
			opts.OnError(key, err)
		}
		if opts.Progress != nil {
			opts.Progress(res.Counts)
		}
	}
	done := func(reason string, n int64) {
		mu.Lock()
		defer mu.Unlock()
		if reason == "" {
			res.Imported++
			res.Bytes += n
		} else {
			res.Skipped++
			res.Reasons[reason]++
		}
		if opts.Progress != nil {
			opts.Progress(res.Counts)
		}
	}
	one := func(rec *Record) {
		reason, err := importRecord(ctx, t, rec)
		if err != nil {
			fail(rec.Key, err)
			return
		}
		done(reason, int64(len(rec.Response.Body)))
	}

	// run converts the records sent on a channel with the workers.
	run := func(feed func(chan<- *Record) error) error {
		ch := make(chan *Record)
		var wg sync.WaitGroup
		for range workers {
			wg.Go(func() {
				for rec := range ch {
					one(rec)
				}
			})
		}
		err := feed(ch)
		close(ch)
		wg.Wait()
		return err
	}
	var heads []*Record
	send := func(ch chan<- *Record, rec *Record) error {
		select {
		case ch <- rec:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	err = run(func(ch chan<- *Record) error {
		for e, err := range src.Entries(ctx) {
			if err != nil {
				if e.Key == "" {
					return fmt.Errorf("gregjones: import: %w", err)
				}
				fail(e.Key, err)
				continue
			}
			rec, err := ParseRecord(e)
			if err != nil {
				fail(e.Key, err)
				continue
			}
			if rec.Response.Request.Method == http.MethodHead {
				heads = append(heads, rec)
				continue
			}
			if err := send(ch, rec); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		err = run(func(ch chan<- *Record) error {
			for _, rec := range heads {
				if err := send(ch, rec); err != nil {
					return err
				}
			}
			return nil
		})
	}
	cerr := t.Close()
	if err != nil {
		return res, err
	}
	if cerr != nil {
		return res, fmt.Errorf("gregjones: import: close the destination: %w", cerr)
	}
	if n := t.Stats().BackendErrors; n > 0 {
		return res, fmt.Errorf("gregjones: import: %d backend errors while storing (pass cachedhttp.WithLogger to see them)", n)
	}
	return res, nil
}

// importRecord replays rec through t and returns why it was not stored
// ("" when it was).
func importRecord(ctx context.Context, t *cachedhttp.Transport, rec *Record) (string, error) {
	r := &replayed{rec: rec}
	ctx = cachedhttp.ForceRefresh(context.WithValue(ctx, replayKey{}, r))
	if rec.Response.Header.Get("Date") == "" {
		if rec.Response.ResponseTime.IsZero() {
			// When it was received is unknown: gregjones would treat it as
			// stale, so it is stored to be revalidated before use.
			ctx = cachedhttp.ExpireAfter(ctx, cachedhttp.ExpireImmediately)
		} else {
			r.date = rec.Response.ResponseTime.UTC().Format(http.TimeFormat)
		}
	}
	req, err := rec.NewRequest(ctx)
	if err != nil {
		return "", err
	}
	resp, err := t.RoundTrip(req)
	if err != nil {
		return "", fmt.Errorf("gregjones: import %q: %w", rec.Key, err)
	}
	// Reading the body to its end is what stores the record.
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil {
		return "", fmt.Errorf("gregjones: import %q: %w", rec.Key, err)
	}
	return notStoredReason(resp.Header.Values("Cache-Status")), nil
}

// notStoredReason reads cachedhttp's member of Cache-Status: "" when it
// says stored, else its detail (or fwd) as the reason.
func notStoredReason(values []string) string {
	var member string
	for _, v := range values {
		for m := range strings.SplitSeq(v, ",") {
			if name, _, _ := strings.Cut(m, ";"); strings.TrimSpace(name) == "cachedhttp" {
				member = m // the last one is this Transport's
			}
		}
	}
	if member == "" {
		return "unknown"
	}
	var detail, fwd string
	for p := range strings.SplitSeq(member, ";") {
		p = strings.TrimSpace(p)
		k, v, _ := strings.Cut(p, "=")
		switch k {
		case "stored":
			return ""
		case "detail":
			detail = strings.Trim(v, `"`)
		case "fwd":
			fwd = v
		}
	}
	switch {
	case detail != "":
		return detail
	case fwd != "":
		return fwd
	}
	return "unknown"
}
