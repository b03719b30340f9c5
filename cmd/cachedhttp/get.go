package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/cachedhttp/cachedhttp"
)

// maxRedirects is how many redirects get -L follows, as curl's default of
// 50 is more than a cache needs and net/http's is 10.
const maxRedirects = 10

// stdin is what -d @- reads; tests replace it.
var stdin io.Reader = os.Stdin

const getNotes = `The body goes to standard output (or -o FILE) and the Cache-Status of each
response to standard error, unless -s, or -i or -I print it with the header.
A URL without a scheme is http://.

-d DATA sends DATA; -d @FILE sends the file with its line breaks removed, as
curl does (--data-binary @FILE sends it as it is), and @- reads standard
input. Several -d are joined with &. The method is then POST unless -X says
otherwise, and the Content-Type application/x-www-form-urlencoded unless -H
sets one.

--offline never contacts the origin: it sends Cache-Control: only-if-cached,
max-stale (max-stale=N with --max-stale), so a stored response is served
even when stale, with a warning on standard error; when nothing usable is
stored the answer is 504 (exit status 0, or 1 with -f). --offline applies to
GET and HEAD, the methods the cache answers.

Exit status: 0 on a response of any status (without -f), 1 on an error or,
with -f, a status of 400 or more, 2 on a usage error.
`

// getFlags are get's command line.
type getFlags struct {
	dsn         *string
	method      *string
	data        []dataPart
	header      headerFlags
	output      *string
	include     *bool
	head        *bool
	silent      *bool
	fail        *bool
	location    *bool
	refresh     *bool
	offline     *bool
	maxStale    *time.Duration
	maxStaleSet bool
	expire      expiryValue
	rawURL      string
}

// dataPart is one -d or --data-binary value.
type dataPart struct {
	value  string
	binary bool // --data-binary: a file is sent as it is
}

// dataFlag appends to a shared list, so that -d and --data-binary keep
// their order.
type dataFlag struct {
	parts  *[]dataPart
	binary bool
}

func (d dataFlag) String() string { return "" }
func (d dataFlag) Type() string   { return "DATA" }
func (d dataFlag) Set(v string) error {
	*d.parts = append(*d.parts, dataPart{value: v, binary: d.binary})
	return nil
}

// get fetches a URL through the cache, like curl.
func get(ctx context.Context, out, errOut io.Writer, args []string) error {
	fs := newFlagSet("get", errOut)
	var f getFlags
	f.dsn = cacheFlag(fs)
	f.method = fs.StringP("request", "X", "", "send `METHOD` (default GET, POST with -d, HEAD with -I)")
	fs.VarP(dataFlag{parts: &f.data}, "data", "d", "send `DATA` as the body: text, @FILE (line breaks removed) or @- (standard input); repeatable, joined with &")
	fs.Var(dataFlag{parts: &f.data, binary: true}, "data-binary", "send `DATA` as the body as it is: text, @FILE or @-")
	fs.VarP(&f.header, "header", "H", "send the request header `'Name: value'` (repeatable)")
	f.output = fs.StringP("output", "o", "", "write the body to `FILE` instead of standard output")
	f.include = fs.BoolP("include", "i", false, "print the status line and response header before the body")
	f.head = fs.BoolP("head", "I", false, "send HEAD and print the status line and response header")
	f.silent = fs.BoolP("silent", "s", false, "print no Cache-Status line and no warning on standard error (errors still)")
	fs.BoolP("show-error", "S", false, "accepted for curl's -sS: errors are always shown")
	f.fail = fs.BoolP("fail", "f", false, "exit with status 1, writing no body, when the status is 400 or more (a 504 from --offline too)")
	f.location = fs.BoolP("location", "L", false, fmt.Sprintf("follow redirects (at most %d)", maxRedirects))
	f.refresh = fs.Bool("refresh", false, "revalidate a stored response with the origin before using it")
	f.offline = fs.Bool("offline", false, "never contact the origin: serve what is stored, even stale (with a warning), or answer 504")
	f.maxStale = fs.Duration("max-stale", 0, "accept a stored response stale by up to `DURATION` (with --offline, instead of any staleness)")
	fs.Var(&f.expire, "expire-after", "store responses that give no freshness of their own for `DURATION` ("+expiryHelp+")")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	f.maxStaleSet = fs.Changed("max-stale")
	if fs.NArg() != 1 {
		return usagef("want exactly one URL, got %d arguments", fs.NArg())
	}
	rawURL, err := normalizeURL(fs.Arg(0))
	if err != nil {
		return err
	}
	f.rawURL = rawURL
	req, err := f.request(ctx)
	if err != nil {
		return err
	}
	var opts []cachedhttp.Option
	if f.expire.set {
		opts = append(opts, cachedhttp.WithExpireAfter(f.expire.d))
	}
	sess, err := open(*f.dsn, opts...)
	if err != nil {
		return err
	}
	defer sess.Close()

	// Redirects: curl does not follow them without -L; with -L, each
	// response on the way is reported as the last one is.
	client := *sess.Client
	var hops []*http.Response
	client.CheckRedirect = func(next *http.Request, via []*http.Request) error {
		if !*f.location {
			return http.ErrUseLastResponse
		}
		if len(via) > maxRedirects {
			return fmt.Errorf("stopped after %d redirects", maxRedirects)
		}
		hops = append(hops, next.Response)
		return nil
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return f.write(out, errOut, append(hops, resp))
}

// request builds the request the flags and the URL describe.
func (f *getFlags) request(ctx context.Context) (*http.Request, error) {
	h, err := f.header.header()
	if err != nil {
		return nil, err
	}
	method := http.MethodGet
	switch {
	case *f.method != "":
		method = *f.method
	case *f.head:
		method = http.MethodHead
	case len(f.data) > 0:
		method = http.MethodPost
	}
	if *f.refresh && *f.offline {
		return nil, usagef("--refresh and --offline contradict each other: one asks the origin, the other never does")
	}
	if *f.offline && method != http.MethodGet && method != http.MethodHead {
		return nil, usagef("--offline applies to GET and HEAD, the methods the cache answers (a %s goes to the origin)", method)
	}
	if f.maxStaleSet && *f.maxStale < 0 {
		return nil, usagef("--max-stale %v: want a duration >= 0", *f.maxStale)
	}
	body, err := f.body()
	if err != nil {
		return nil, err
	}
	if *f.refresh {
		ctx = cachedhttp.Refresh(ctx)
	}
	// Request directives (RFC 9111 §5.2.1), which the cache honours:
	// only-if-cached never contacts the origin, max-stale accepts a stale
	// response (of any staleness without an argument).
	var cc []string
	if *f.offline {
		ctx = cachedhttp.OnlyIfCached(ctx)
		cc = append(cc, "only-if-cached")
		if !f.maxStaleSet {
			cc = append(cc, "max-stale")
		}
	}
	if f.maxStaleSet {
		cc = append(cc, "max-stale="+strconv.FormatInt(int64(*f.maxStale/time.Second), 10))
	}
	if len(cc) > 0 {
		h.Add("Cache-Control", strings.Join(cc, ", "))
	}
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
		if h.Get("Content-Type") == "" {
			h.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	}
	req, err := http.NewRequestWithContext(ctx, method, f.rawURL, r)
	if err != nil {
		return nil, usagef("%v", err)
	}
	for k, vv := range h {
		req.Header[k] = vv
	}
	if host := h.Get("Host"); host != "" {
		req.Host = host
	}
	return req, nil
}

// body returns the request body the -d and --data-binary flags give, or
// nil for none.
func (f *getFlags) body() ([]byte, error) {
	if len(f.data) == 0 {
		return nil, nil
	}
	parts := make([][]byte, 0, len(f.data))
	for _, d := range f.data {
		name, isFile := strings.CutPrefix(d.value, "@")
		if !isFile {
			parts = append(parts, []byte(d.value))
			continue
		}
		var b []byte
		var err error
		if name == "-" {
			b, err = io.ReadAll(stdin)
		} else {
			b, err = os.ReadFile(name)
		}
		if err != nil {
			return nil, fmt.Errorf("-d %s: %w", d.value, err)
		}
		if !d.binary {
			b = bytes.ReplaceAll(bytes.ReplaceAll(b, []byte("\r"), nil), []byte("\n"), nil)
		}
		parts = append(parts, b)
	}
	return bytes.Join(parts, []byte("&")), nil
}

// write reports the responses (the redirects followed, then the last
// one): Cache-Status lines and warnings on errOut, the header with -i or
// -I and the body on out or -o FILE.
func (f *getFlags) write(out, errOut io.Writer, resps []*http.Response) (err error) {
	last := resps[len(resps)-1]
	withHeader := *f.include || *f.head
	toStdout := *f.output == "" || *f.output == "-"
	if !*f.silent && !(withHeader && toStdout) {
		for _, r := range resps {
			fmt.Fprintln(errOut, strings.Join(r.Header.Values("Cache-Status"), ", "))
		}
	}
	// A response revalidated just now is not stale to the user, even when
	// its lifetime is zero.
	if in := cachedhttp.Info(last); in.Stale && !in.Revalidated && !*f.silent {
		fmt.Fprintf(errOut, "cachedhttp get: warning: %s\n", staleWarning(in, time.Now(), *f.offline))
	}
	if *f.fail && last.StatusCode >= 400 {
		why := ""
		if last.StatusCode == http.StatusGatewayTimeout && *f.offline {
			why = " (--offline: nothing usable is stored, and the origin was not asked)"
		}
		return fmt.Errorf("%w: %s %s: %s%s", errHTTPStatus, last.Request.Method, last.Request.URL.Redacted(), last.Status, why)
	}
	w := out
	if !toStdout {
		file, err := os.Create(*f.output)
		if err != nil {
			return err
		}
		defer func() { err = errors.Join(err, file.Close()) }()
		w = file
	}
	if withHeader {
		for _, r := range resps {
			fmt.Fprintf(w, "%s %s\r\n", r.Proto, r.Status)
			if err := r.Header.Write(w); err != nil {
				return err
			}
			fmt.Fprint(w, "\r\n")
		}
	}
	if !*f.head {
		if _, err := io.Copy(w, last.Body); err != nil {
			return err
		}
	}
	return nil
}

// staleWarning says that a response is stale, by how much, and what let it
// be served: the Cache-Status detail (RFC 9211 §2.8) the cache gave.
func staleWarning(in cachedhttp.CacheInfo, now time.Time, offline bool) string {
	msg := "the response is stale"
	if !in.Expires.IsZero() {
		msg += fmt.Sprintf(": it expired %s ago", now.Sub(in.Expires).Round(time.Second))
	}
	switch detail := cacheStatusDetail(in.CacheStatus); {
	case offline:
		return msg + " (--offline: the origin was not asked)"
	case detail == "stale-if-error":
		return msg + " (the origin failed, and stale-if-error allows a stale answer)"
	case detail == "stale-while-revalidate":
		return msg + " (stale-while-revalidate: it was refreshed in the background)"
	case detail == "max-stale":
		return msg + " (--max-stale allows it)"
	case detail != "":
		return msg + " (" + detail + ")"
	}
	return msg
}

// cacheStatusDetail returns the detail parameter of this cache's member of
// the Cache-Status field values, or "".
func cacheStatusDetail(values []string) string {
	for _, v := range values {
		for _, member := range strings.Split(v, ",") {
			params := strings.Split(member, ";")
			if strings.TrimSpace(params[0]) != cacheStatusName {
				continue
			}
			for _, p := range params[1:] {
				if d, ok := strings.CutPrefix(strings.TrimSpace(p), "detail="); ok {
					return strings.Trim(d, `"`)
				}
			}
		}
	}
	return ""
}

// normalizeURL returns raw as an absolute http or https URL: http:// is
// assumed when raw has no scheme, as curl does.
func normalizeURL(raw string) (string, error) {
	if !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return "", usagef("URL %q: %v", raw, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", usagef("URL %q: want an http:// or https:// URL", raw)
	}
	if u.Host == "" {
		return "", usagef("URL %q: no host", raw)
	}
	return raw, nil
}
