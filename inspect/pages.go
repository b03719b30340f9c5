package inspect

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cachedhttp/cachedhttp"
	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/keys"
	"github.com/cachedhttp/cachedhttp/models"
)

// base is what every page shows: the title, the navigation, the form
// token and a message about the last action.
type base struct {
	Title    string
	Nav      string
	CSRF     string
	ReadOnly bool
	Flash    string
	Now      time.Time
}

// option is one choice of a <select>.
type option struct {
	Value, Label string
	Selected     bool
}

func (h *Handler) parse() error {
	funcs := template.FuncMap{
		"bytes":    formatBytes,
		"bytes64":  func(n int64) string { return formatBytes(int(n)) },
		"when":     formatTime,
		"rel":      func(t time.Time) string { return relTime(t, h.opt.Now()) },
		"short":    shortKey,
		"dur":      formatDuration,
		"statusCl": func(code int) string { return "s" + strconv.Itoa(code/100) },
		"pct":      func(v float64) string { return fmt.Sprintf("%.1f%%", v*100) },
		"statusText": func(code int) string {
			if code == 0 {
				return "—"
			}
			return strconv.Itoa(code) + " " + http.StatusText(code)
		},
	}
	h.pages = map[string]*template.Template{}
	for _, name := range []string{"entries", "overview", "record", "message"} {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(files, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return fmt.Errorf("inspect: parse %s page: %w", name, err)
		}
		h.pages[name] = t
	}
	return nil
}

// render writes a page; data embeds base.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	var buf bytes.Buffer
	if err := h.pages[name].Execute(&buf, data); err != nil {
		h.opt.Logger.ErrorContext(r.Context(), "inspect: render", "page", name, "error", err)
		http.Error(w, "inspect: could not render the page", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func (h *Handler) base(w http.ResponseWriter, r *http.Request, nav string) base {
	b := base{Title: h.opt.Title, Nav: nav, ReadOnly: h.opt.ReadOnly, Now: h.opt.Now(), Flash: flash(r.URL.Query())}
	if !h.opt.ReadOnly {
		b.CSRF = h.token(w, r)
	}
	return b
}

// flash describes the action a POST reported through its redirect
// ("done=deleted&n=3"); only fixed texts, never the request's words.
func flash(q url.Values) string {
	n, _ := strconv.Atoi(q.Get("n"))
	switch q.Get("done") {
	case "deleted":
		return "Deleted " + plural(n, "record") + "."
	case "expired":
		return "Purged " + plural(n, "expired record") + "."
	case "cleared":
		return "Cleared the cache."
	case "none":
		return "Nothing was selected; nothing was deleted."
	}
	return ""
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// entriesPage is the data of the entries page.
type entriesPage struct {
	base
	F                                  filter
	Hosts, Statuses, States, Sizes     []option
	Sorts                              []option
	Rows                               []entry
	First, Last, Matched, Total        int
	MatchedBytes, TotalBytes           int
	Fresh, Stale, Expired, Unreadable  int
	Page, Pages                        int
	PrevURL, NextURL, Return, ResetURL string
	Filtered, Truncated                bool
	ScanErr                            string
	Ratio                              float64
	Lookups                            int64
	MaxRecords                         int
}

func (h *Handler) entries(w http.ResponseWriter, r *http.Request) {
	h.sampleIfDue()
	f := parseFilter(r.URL.Query())
	inv := h.scan(r.Context())
	p := entriesPage{
		base: h.base(w, r, "entries"), F: f, Total: len(inv.entries), Truncated: inv.truncated,
		ScanErr: inv.err, Filtered: f.active(), ResetURL: "./", MaxRecords: h.opt.MaxRecords,
	}
	p.Ratio, p.Lookups = hitRatio(h.cache.Stats())
	hostCount := map[string]int{}
	statusCount := map[int]int{}
	for _, e := range inv.entries {
		p.TotalBytes += e.Size
		hostCount[e.Host]++
		if e.State != Unreadable {
			statusCount[e.Status]++
		}
		switch e.State {
		case Fresh:
			p.Fresh++
		case Stale:
			p.Stale++
		case Expired:
			p.Expired++
		default:
			p.Unreadable++
		}
	}
	p.Hosts = []option{{Value: "", Label: "All hosts"}}
	for _, ht := range sortedKeys(hostCount) {
		p.Hosts = append(p.Hosts, option{Value: ht, Label: fmt.Sprintf("%s (%d)", ht, hostCount[ht])})
	}
	if f.Host != "" && hostCount[f.Host] == 0 {
		p.Hosts = append(p.Hosts, option{Value: f.Host, Label: f.Host + " (0)"})
	}
	p.Statuses = []option{{Value: "", Label: "Any status"}}
	for _, c := range []string{"2xx", "3xx", "4xx", "5xx"} {
		p.Statuses = append(p.Statuses, option{Value: c, Label: c})
	}
	codes := make([]int, 0, len(statusCount))
	for c := range statusCount {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	if f.Status != "" && !slices.ContainsFunc(p.Statuses, func(o option) bool { return o.Value == f.Status }) {
		p.Statuses = append(p.Statuses, option{Value: f.Status, Label: f.Status + " (0)"})
	}
	for _, c := range codes {
		p.Statuses = append(p.Statuses, option{Value: strconv.Itoa(c), Label: fmt.Sprintf("%d (%d)", c, statusCount[c])})
	}
	p.States = []option{{Value: "", Label: "Any freshness"}}
	for _, s := range states {
		p.States = append(p.States, option{Value: string(s), Label: strings.ToUpper(string(s[:1])) + string(s[1:])})
	}
	p.Sizes = []option{{Value: "", Label: "Any size"}}
	for _, s := range sizeRanges {
		p.Sizes = append(p.Sizes, option{Value: s.Name, Label: s.Label})
	}
	for _, s := range sorts {
		p.Sorts = append(p.Sorts, option{Value: s.Name, Label: s.Label})
	}
	selectOption(p.Hosts, f.Host)
	selectOption(p.Statuses, f.Status)
	selectOption(p.States, f.State)
	selectOption(p.Sizes, f.Size)
	selectOption(p.Sorts, f.Sort)

	matched := f.apply(inv.entries)
	p.Matched = len(matched)
	for _, e := range matched {
		p.MatchedBytes += e.Size
	}
	size := h.opt.PageSize
	p.Pages = max((len(matched)+size-1)/size, 1)
	p.Page = min(f.Page, p.Pages)
	lo := (p.Page - 1) * size
	hi := min(lo+size, len(matched))
	p.Rows = matched[lo:hi]
	if hi > lo {
		p.First, p.Last = lo+1, hi
	}
	v := f.values()
	if p.Page > 1 {
		p.PrevURL = pageURL(v, p.Page-1)
	}
	if p.Page < p.Pages {
		p.NextURL = pageURL(v, p.Page+1)
	}
	if p.Page > 1 {
		v.Set("page", strconv.Itoa(p.Page))
	}
	p.Return = v.Encode()
	h.render(w, r, http.StatusOK, "entries", p)
}

// selectOption marks the option whose value is v.
func selectOption(opts []option, v string) {
	for i := range opts {
		opts[i].Selected = opts[i].Value == v
	}
}

func pageURL(v url.Values, page int) string {
	w := url.Values{}
	for k, vv := range v {
		w[k] = vv
	}
	if page > 1 {
		w.Set("page", strconv.Itoa(page))
	}
	if len(w) == 0 {
		return "./"
	}
	return "./?" + w.Encode()
}

func sortedKeys(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// recordPage is the data of a record page.
type recordPage struct {
	base
	Key, Primary       string
	Found, Unreadable  bool
	Err                string
	E                  entry
	Rec                *models.Response
	VaryIndex          []string
	Variants           []string
	Headers, ReqHeader []headerLine
	Trailer            []headerLine
	Preview            preview
	Age                time.Duration
	ETag, LastModified string
	CacheControl       string
	Recorder, Wrapped  bool
	History            []Event
	HistoryCap         int
}

type headerLine struct{ Name, Value string }

func headerLines(h http.Header) []headerLine {
	var out []headerLine
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range h {
			if !yield(k) {
				return
			}
		}
	}) {
		for _, v := range h[k] {
			out = append(out, headerLine{k, v})
		}
	}
	return out
}

func (h *Handler) record(w http.ResponseWriter, r *http.Request) {
	key := r.URL.Query().Get("key")
	p := recordPage{base: h.base(w, r, "record"), Key: key, Recorder: h.rec != nil}
	if h.rec != nil {
		tot := h.rec.totals()
		p.Wrapped, p.HistoryCap = tot.Wrapped, tot.Capacity
		p.History = h.rec.historyOf(key)
	}
	if primary, _, ok := keys.SplitVariant(key); ok {
		p.Primary = primary
	}
	rec, err := h.cache.Record(r.Context(), key)
	switch {
	case key == "":
		p.Err = "No key given."
		h.render(w, r, http.StatusBadRequest, "record", p)
		return
	case errors.Is(err, backends.ErrNotFound):
		p.Err = "No record is stored under this key (deleted, expired by the store, or never stored)."
		h.render(w, r, http.StatusNotFound, "record", p)
		return
	case err != nil:
		p.Err, p.Unreadable = err.Error(), true
		h.render(w, r, http.StatusOK, "record", p)
		return
	}
	p.Found, p.Rec = true, rec
	if rec.IsVaryIndex() {
		p.VaryIndex = rec.VaryIndex
		for e := range h.cache.Records(r.Context()) {
			if e.Err == nil && keys.IsVariantOf(e.Key, key) {
				p.Variants = append(p.Variants, e.Key)
			}
		}
		slices.Sort(p.Variants)
		h.render(w, r, http.StatusOK, "record", p)
		return
	}
	now := h.opt.Now()
	p.E = entryOf(key, rec, now)
	p.Headers, p.ReqHeader, p.Trailer = headerLines(rec.Header), headerLines(rec.Request.Header), headerLines(rec.Trailer)
	p.Preview = makePreview(rec.Body, rec.Header.Get("Content-Encoding"), h.opt.PreviewBytes)
	p.ETag, p.LastModified = rec.Header.Get("ETag"), rec.Header.Get("Last-Modified")
	p.CacheControl = strings.Join(rec.Header.Values("Cache-Control"), ", ")
	if !rec.ResponseTime.IsZero() {
		p.Age = now.Sub(rec.ResponseTime)
	}
	h.render(w, r, http.StatusOK, "record", p)
}

// body serves a record's stored body as a download, never as a page of
// the inspector's origin (it may be HTML written by anyone).
func (h *Handler) body(w http.ResponseWriter, r *http.Request) {
	rec, err := h.cache.Record(r.Context(), r.URL.Query().Get("key"))
	if errors.Is(err, backends.ErrNotFound) || (err == nil && rec.IsVaryIndex()) {
		http.Error(w, "no stored body under this key", http.StatusNotFound)
		return
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "application/octet-stream")
	hd.Set("Content-Disposition", `attachment; filename="body.bin"`)
	hd.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	hd.Set("Content-Length", strconv.Itoa(len(rec.Body)))
	_, _ = w.Write(rec.Body)
}

// overviewPage is the data of the overview page.
type overviewPage struct {
	base
	S                      cachedhttp.Stats
	Ratio                  float64
	Lookups                int64
	RatioChart, BytesChart template.HTML
	Every                  time.Duration
	Intervals              int
	Hosts                  []hostTotal
	Entries, Bytes         int
	Truncated              bool
	ScanErr                string
	Rec                    *totals
	Recent, RecentKeyed    []Event
}

func (h *Handler) overview(w http.ResponseWriter, r *http.Request) {
	h.sampleIfDue()
	p := overviewPage{base: h.base(w, r, "overview"), S: h.cache.Stats(), Every: h.opt.SampleEvery}
	if p.Every < 0 {
		p.Every = -p.Every
	}
	p.Ratio, p.Lookups = hitRatio(p.S)
	ivs := h.intervals()
	p.Intervals = len(ivs)
	p.RatioChart = ratioChart(ivs, p.Every).svg()
	if h.rec != nil {
		p.BytesChart = bytesChart(ivs, p.Every).svg()
		t := h.rec.totals()
		p.Rec = &t
		p.Recent = h.rec.recent(20)
		p.RecentKeyed = h.rec.recentKeyed(20)
	}
	inv := h.scan(r.Context())
	p.Truncated, p.ScanErr, p.Entries = inv.truncated, inv.err, len(inv.entries)
	for _, e := range inv.entries {
		p.Bytes += e.Size
	}
	p.Hosts = totalsByHost(inv.entries)
	h.render(w, r, http.StatusOK, "overview", p)
}

// messagePage reports a refused or failed action.
type messagePage struct {
	base
	Heading, Text, Detail string
}

func (h *Handler) message(w http.ResponseWriter, r *http.Request, status int, heading, text string, err error) {
	p := messagePage{base: base{Title: h.opt.Title, Now: h.opt.Now(), ReadOnly: true}, Heading: heading, Text: text}
	if err != nil {
		p.Detail = err.Error()
	}
	h.render(w, r, status, "message", p)
}

func formatBytes(n int) string {
	switch {
	case n < 1<<10:
		return strconv.Itoa(n) + " B"
	case n < 1<<20:
		return trim(float64(n)/(1<<10)) + " KiB"
	case n < 1<<30:
		return trim(float64(n)/(1<<20)) + " MiB"
	}
	return trim(float64(n)/(1<<30)) + " GiB"
}

func trim(v float64) string {
	if v >= 100 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'f', 1, 64)
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

// relTime says when t is from now: "in 4m 10s", "2h 3m ago"; "never" for
// the zero time.
func relTime(t, now time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := t.Sub(now)
	if d >= 0 {
		if d < time.Second {
			return "now"
		}
		return "in " + formatDuration(d)
	}
	return formatDuration(-d) + " ago"
}

// formatDuration writes d with its two largest units ("3d 4h", "2m 5s",
// "340ms").
func formatDuration(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return d.Round(time.Microsecond).String()
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	}
	units := []struct {
		d time.Duration
		s string
	}{{24 * time.Hour, "d"}, {time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}}
	var parts []string
	for _, u := range units {
		if d >= u.d || len(parts) > 0 {
			n := d / u.d
			d -= n * u.d
			if n > 0 || len(parts) == 0 {
				parts = append(parts, strconv.FormatInt(int64(n), 10)+u.s)
			}
			if len(parts) == 2 || (len(parts) == 1 && n == 0) {
				break
			}
		}
	}
	return strings.Join(parts, " ")
}

// shortKey abbreviates a key as "cachedhttp ls" prints it: the version and
// 12 hex digits, then 8 of a variant's.
func shortKey(k string) string {
	const shortLen = len(keys.Version) + 1 + 12
	primary, variant, isVariant := keys.SplitVariant(k)
	if !isVariant {
		primary = k
	}
	if len(primary) > shortLen {
		primary = primary[:shortLen] + "…"
	}
	if !isVariant {
		return primary
	}
	if len(variant) > 8 {
		variant = variant[:8] + "…"
	}
	return keys.JoinVariant(primary, variant)
}
