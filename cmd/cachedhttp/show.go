package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/cachedhttp/cachedhttp"
	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/keys"
	"github.com/cachedhttp/cachedhttp/models"
	"github.com/cachedhttp/cachedhttp/serializers"
)

// shortLen is how many characters of a primary key (and of a variant's
// suffix) ls prints by default: "v1:" and 12 hex digits, 48 bits, enough to
// tell apart the keys of any cache a person lists.
const (
	shortLen        = len(keys.Version) + 1 + 12
	shortVariantLen = 8
)

// shortKey abbreviates a key for ls; show accepts the result.
func shortKey(k string) string {
	primary, variant, isVariant := splitKey(k)
	if len(primary) > shortLen {
		primary = primary[:shortLen]
	}
	if !isVariant {
		return primary
	}
	if len(variant) > shortVariantLen {
		variant = variant[:shortVariantLen]
	}
	return keys.JoinVariant(primary, variant)
}

// splitKey splits a key, or an abbreviation of one as ls prints it, into
// its primary and variant parts.
func splitKey(k string) (primary, variant string, isVariant bool) {
	if p, v, ok := keys.SplitVariant(k); ok {
		return p, v, true
	}
	// An abbreviated variant key: the keys package only splits whole ones.
	return strings.Cut(k, "|")
}

// matchesShort reports whether key k abbreviates to a key starting with s,
// primary part and variant part each compared as a prefix.
func matchesShort(k, s string) bool {
	kp, kv, kIsVariant := splitKey(k)
	sp, sv, sIsVariant := splitKey(s)
	if !strings.HasPrefix(sp, keys.Version+":") && strings.HasPrefix(kp, keys.Version+":") {
		// A key copied without its version prefix ("c42f" for "v1:c42f").
		sp = keys.Version + ":" + sp
	}
	if !strings.HasPrefix(kp, sp) {
		return false
	}
	if !sIsVariant {
		// A primary prefix names the primary record only.
		return !kIsVariant
	}
	return kIsVariant && strings.HasPrefix(kv, sv)
}

// bodyDumpLen is how many bytes of a binary body show dumps.
const bodyDumpLen = 256

// show prints one stored record.
func show(ctx context.Context, out, errOut io.Writer, args []string) error {
	fs := newFlagSet("show", errOut)
	dsn := cacheFlag(fs)
	withBody := fs.Bool("body", true, "print the body (as text when it is printable UTF-8, else a hex dump of its first bytes)")
	var hdrs headerFlags
	fs.VarP(&hdrs, "header", "H", "request header `'Name: value'` the URL was fetched with, for credentials that take part in the key (repeatable)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("want exactly one KEY or URL")
	}
	h, err := hdrs.header()
	if err != nil {
		return err
	}
	arg := fs.Arg(0)
	sess, err := openExisting(*dsn)
	if err != nil {
		return err
	}
	defer sess.Close()
	b := sess.Cache.Backend()
	ser := sess.Cache.Serializer()

	key, err := resolveKey(ctx, sess.Cache, arg, h)
	if err != nil {
		return err
	}
	rec, err := showRecord(ctx, out, b, ser, key, *withBody)
	if err != nil {
		return err
	}
	if !rec.IsVaryIndex() {
		return nil
	}
	// A Vary index: show every variant stored under it.
	var variants []string
	for k, err := range backends.Keys(ctx, b) {
		if errors.Is(err, backends.ErrCorrupt) {
			continue
		}
		if err != nil {
			return fmt.Errorf("scan: %w", err)
		}
		if keys.IsVariantOf(k, key) {
			variants = append(variants, k)
		}
	}
	slices.Sort(variants)
	fmt.Fprintf(out, "variants:     %d\n", len(variants))
	for _, k := range variants {
		fmt.Fprintln(out)
		if _, err := showRecord(ctx, out, b, ser, k, *withBody); err != nil {
			fmt.Fprintf(out, "key:          %s\nerror:        %v\n", k, err)
		}
	}
	return nil
}

// resolveKey returns the key arg names: the key of a GET of arg when it is
// an absolute URL, else arg itself when a record is stored under it, else
// the one stored key that arg abbreviates (as ls prints keys).
func resolveKey(ctx context.Context, c *cachedhttp.Transport, arg string, h http.Header) (string, error) {
	b := c.Backend()
	if strings.Contains(arg, "://") {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, arg, nil)
		if err != nil {
			return "", usagef("%v", err)
		}
		for k, vv := range h {
			req.Header[k] = vv
		}
		if host := h.Get("Host"); host != "" {
			req.Host = host
		}
		// The Transport computes the key as it does for requests, with the
		// cache's key options.
		return c.Key(req)
	}
	if _, err := b.Get(ctx, arg); err == nil {
		return arg, nil
	} else if !errors.Is(err, backends.ErrNotFound) {
		return "", fmt.Errorf("get %q: %w", arg, err)
	}
	var found []string
	for k, err := range backends.Keys(ctx, b) {
		if errors.Is(err, backends.ErrCorrupt) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("scan: %w", err)
		}
		if matchesShort(k, arg) {
			found = append(found, k)
		}
	}
	switch len(found) {
	case 0:
		return "", fmt.Errorf("no record stored under a key that starts with %q", arg)
	case 1:
		return found[0], nil
	default:
		slices.Sort(found)
		if len(found) > 5 {
			found = append(found[:5], "...")
		}
		return "", fmt.Errorf("%q names %d keys; give more of it:\n  %s", arg, len(found), strings.Join(found, "\n  "))
	}
}

// showRecord prints the record stored under key and returns it decoded.
func showRecord(ctx context.Context, out io.Writer, b backends.Backend, ser serializers.Serializer, key string, withBody bool) (*models.Response, error) {
	data, err := b.Get(ctx, key)
	if errors.Is(err, backends.ErrNotFound) {
		return nil, fmt.Errorf("no record stored under %s", key)
	}
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", key, err)
	}
	fmt.Fprintf(out, "key:          %s\n", key)
	hdr, err := serializers.Inspect(data)
	if err != nil {
		n := min(len(data), 64)
		fmt.Fprintf(out, "record:       not a cachedhttp record, %d bytes; the first %d:\n%s", len(data), n, hex.Dump(data[:n]))
		return nil, fmt.Errorf("record %s: %w", key, err)
	}
	fmt.Fprintf(out, "record:       %s (%d bytes, payload %d)\n", hdr, len(data), len(data)-hdr.Len)
	rec, err := ser.Unmarshal(data)
	if err != nil {
		return nil, fmt.Errorf("decode %s (the -cache DSN's serializer parameters must match the writer's): %w", key, err)
	}
	if rec.IsVaryIndex() {
		fmt.Fprintf(out, "vary index:   %s\n", strings.Join(rec.VaryIndex, ", "))
		return rec, nil
	}
	now := time.Now()
	proto := rec.Proto
	if proto == "" {
		proto = "HTTP/1.1"
	}
	fmt.Fprintf(out, "status:       %d %s (%s)\n", rec.StatusCode, http.StatusText(rec.StatusCode), proto)
	fmt.Fprintf(out, "request:      %s %s\n", rec.Request.Method, rec.Request.URL)
	fmt.Fprintf(out, "created:      %s\n", when(rec.Created, now, "unknown"))
	fmt.Fprintf(out, "expires:      %s\n", when(rec.Expires, now, "never"))
	fmt.Fprintf(out, "stale-until:  %s\n", when(rec.StaleUntil, now, "none"))
	if rec.Revalidate {
		fmt.Fprintln(out, "revalidate:   before every use")
	}
	if len(rec.Request.Header) > 0 {
		fmt.Fprintln(out, "\nrequest header (as stored, credentials removed):")
		writeHeader(out, rec.Request.Header)
	}
	fmt.Fprintln(out, "\nresponse header:")
	writeHeader(out, rec.Header)
	if len(rec.Trailer) > 0 {
		fmt.Fprintln(out, "\ntrailer:")
		writeHeader(out, rec.Trailer)
	}
	if withBody {
		fmt.Fprintln(out)
		writeBody(out, rec.Body)
	}
	return rec, nil
}

// when formats t with its distance from now, or none when t is zero.
func when(t, now time.Time, none string) string {
	if t.IsZero() {
		return none
	}
	d := t.Sub(now).Round(time.Second)
	var rel string
	switch {
	case d < 0:
		rel = (-d).String() + " ago"
	case d == 0:
		rel = "now"
	default:
		rel = "in " + d.String()
	}
	return t.UTC().Format(time.RFC3339) + " (" + rel + ")"
}

func writeHeader(out io.Writer, h http.Header) {
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		for _, v := range h[k] {
			fmt.Fprintf(out, "  %s: %s\n", k, v)
		}
	}
}

// writeBody prints body as text when it is printable UTF-8, else as a hex
// dump of its first bytes.
func writeBody(out io.Writer, body []byte) {
	switch {
	case len(body) == 0:
		fmt.Fprintln(out, "body:         empty")
	case printable(body):
		fmt.Fprintf(out, "body:         %d bytes, text\n", len(body))
		out.Write(body)
		if body[len(body)-1] != '\n' {
			fmt.Fprintln(out)
		}
	default:
		n := min(len(body), bodyDumpLen)
		fmt.Fprintf(out, "body:         %d bytes, binary; the first %d:\n", len(body), n)
		fmt.Fprint(out, hex.Dump(body[:n]))
	}
}

// printable reports whether b is UTF-8 text without control characters
// other than white space.
func printable(b []byte) bool {
	if !utf8.Valid(b) {
		return false
	}
	for _, r := range string(b) {
		if !unicode.IsPrint(r) && !unicode.IsSpace(r) {
			return false
		}
	}
	return true
}
