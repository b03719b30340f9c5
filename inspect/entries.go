package inspect

import (
	"cmp"
	"context"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cachedhttp/cachedhttp/models"
)

// State is where a record stands in its life at a given moment.
type State string

// The states.
const (
	// Fresh: may be served without contacting the origin (no expiry, or
	// before it), unless marked always-revalidate.
	Fresh State = "fresh"
	// Stale: past its expiry, but still of use: inside its stale window
	// (stale-if-error, stale-while-revalidate), or with a validator that
	// a 304 can renew, or marked always-revalidate.
	Stale State = "stale"
	// Expired: of no further use (what DeleteExpired removes).
	Expired State = "expired"
	// Unreadable: the record could not be read or decoded.
	Unreadable State = "unreadable"
)

// stateOf classifies rec at now, as cachedhttp.Transport.DeleteExpired
// judges expiry.
func stateOf(rec *models.Response, now time.Time) State {
	if rec.Revalidate {
		return Stale
	}
	if rec.Expires.IsZero() || now.Before(rec.Expires) {
		return Fresh
	}
	if !rec.StaleUntil.IsZero() && now.Before(rec.StaleUntil) {
		return Stale
	}
	if rec.Header.Get("ETag") != "" || rec.Header.Get("Last-Modified") != "" {
		return Stale
	}
	return Expired
}

// entry is one record as the listing shows it (the body is not kept).
type entry struct {
	Key     string
	Method  string
	URL     string
	Host    string
	Status  int
	Size    int
	Type    string // Content-Type without parameters
	Created time.Time
	Expires time.Time
	State   State
	Err     string
}

func entryOf(key string, rec *models.Response, now time.Time) entry {
	e := entry{
		Key: key, Method: rec.Request.Method, URL: rec.Request.URL, Status: rec.StatusCode,
		Size: len(rec.Body), Created: rec.Created, Expires: rec.Expires, State: stateOf(rec, now),
	}
	if e.Method == "" {
		e.Method = "GET"
	}
	e.Host = hostOf(e.URL)
	e.Type, _, _ = strings.Cut(rec.Header.Get("Content-Type"), ";")
	e.Type = strings.TrimSpace(e.Type)
	return e
}

func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "(no host)"
	}
	return strings.ToLower(u.Host)
}

// inventory is one scan of the store.
type inventory struct {
	entries   []entry
	truncated bool   // stopped at MaxRecords
	err       string // the backend failed during the scan
}

// scan decodes every record, keeping a summary of each.
func (h *Handler) scan(ctx context.Context) inventory {
	var inv inventory
	now := h.opt.Now()
	for r := range h.cache.Records(ctx) {
		if r.Err != nil && r.Key == "" {
			inv.err = r.Err.Error()
			break
		}
		if len(inv.entries) == h.opt.MaxRecords {
			inv.truncated = true
			break
		}
		if r.Err != nil {
			inv.entries = append(inv.entries, entry{Key: r.Key, State: Unreadable, Err: r.Err.Error(), Host: "(unreadable)"})
			continue
		}
		inv.entries = append(inv.entries, entryOf(r.Key, r.Response, now))
	}
	return inv
}

// filter is what the entries page was asked to show; its zero value shows
// everything, newest first.
type filter struct {
	Q      string // substring of the URL or key, any case
	Host   string
	Status string // "2xx" (a class) or "404" (one code)
	State  string
	Size   string // a sizeRanges name
	Sort   string // a sorts name
	Page   int    // 1-based
}

// sizeRange is one choice of the size filter: [min, max) body bytes.
type sizeRange struct {
	Name, Label string
	min, max    int
}

// sizeRanges are the size filter's choices.
var sizeRanges = []sizeRange{
	{"empty", "Empty (0 B)", 0, 1},
	{"lt1k", "Under 1 KiB", 1, 1 << 10},
	{"1k-64k", "1 KiB – 64 KiB", 1 << 10, 64 << 10},
	{"64k-1m", "64 KiB – 1 MiB", 64 << 10, 1 << 20},
	{"ge1m", "1 MiB and more", 1 << 20, int(^uint(0) >> 1)},
}

// sortOrder is one order the entries page offers.
type sortOrder struct {
	Name, Label string
	cmp         func(a, b entry) int
}

// sorts are the orders the entries page offers; the first is the default.
var sorts = []sortOrder{
	{"newest", "Newest first", func(a, b entry) int { return b.Created.Compare(a.Created) }},
	{"oldest", "Oldest first", func(a, b entry) int { return a.Created.Compare(b.Created) }},
	{"largest", "Largest first", func(a, b entry) int { return cmp.Compare(b.Size, a.Size) }},
	{"expires", "Expiring soonest", func(a, b entry) int { return cmpExpiry(a.Expires, b.Expires) }},
	{"url", "URL", func(a, b entry) int { return strings.Compare(a.URL, b.URL) }},
}

// cmpExpiry orders expiry times, "never" (zero) last.
func cmpExpiry(a, b time.Time) int {
	switch {
	case a.IsZero() && b.IsZero():
		return 0
	case a.IsZero():
		return 1
	case b.IsZero():
		return -1
	}
	return a.Compare(b)
}

var states = []State{Fresh, Stale, Expired, Unreadable}

// filterParams are the query parameters a filter reads, in the order
// links write them.
var filterParams = []string{"q", "host", "status", "state", "size", "sort"}

func parseFilter(q url.Values) filter {
	f := filter{
		Q: strings.TrimSpace(q.Get("q")), Host: q.Get("host"), Status: q.Get("status"),
		State: q.Get("state"), Size: q.Get("size"), Sort: q.Get("sort"),
	}
	f.Page, _ = strconv.Atoi(q.Get("page"))
	f.Page = max(f.Page, 1)
	if !slices.ContainsFunc(sorts, func(s sortOrder) bool { return s.Name == f.Sort }) {
		f.Sort = sorts[0].Name
	}
	return f
}

// values returns f as query parameters (without the page, and without the
// default sort), for links and for the delete forms' return address.
func (f filter) values() url.Values {
	v := url.Values{}
	for _, kv := range [][2]string{{"q", f.Q}, {"host", f.Host}, {"status", f.Status}, {"state", f.State}, {"size", f.Size}} {
		if kv[1] != "" {
			v.Set(kv[0], kv[1])
		}
	}
	if f.Sort != sorts[0].Name {
		v.Set("sort", f.Sort)
	}
	return v
}

// active reports whether f selects fewer than all entries.
func (f filter) active() bool {
	return f.Q != "" || f.Host != "" || f.Status != "" || f.State != "" || f.Size != ""
}

func (f filter) match(e entry) bool {
	if f.Q != "" {
		q := strings.ToLower(f.Q)
		if !strings.Contains(strings.ToLower(e.URL), q) && !strings.Contains(strings.ToLower(e.Key), q) {
			return false
		}
	}
	if f.Host != "" && e.Host != f.Host {
		return false
	}
	if f.Status != "" && !statusMatches(f.Status, e.Status) {
		return false
	}
	if f.State != "" && string(e.State) != f.State {
		return false
	}
	if f.Size != "" {
		i := slices.IndexFunc(sizeRanges, func(r sizeRange) bool { return r.Name == f.Size })
		if i >= 0 && (e.Size < sizeRanges[i].min || e.Size >= sizeRanges[i].max || e.State == Unreadable) {
			return false
		}
	}
	return true
}

// statusMatches reports whether code is s: one code ("404") or a class
// ("4xx").
func statusMatches(s string, code int) bool {
	if len(s) == 3 && strings.HasSuffix(s, "xx") && s[0] >= '1' && s[0] <= '5' {
		return code/100 == int(s[0]-'0')
	}
	n, err := strconv.Atoi(s)
	return err == nil && n == code
}

// apply filters and sorts entries (in place).
func (f filter) apply(entries []entry) []entry {
	out := entries[:0:0]
	for _, e := range entries {
		if f.match(e) {
			out = append(out, e)
		}
	}
	for _, s := range sorts {
		if s.Name == f.Sort {
			slices.SortStableFunc(out, func(a, b entry) int {
				return cmp.Or(s.cmp(a, b), strings.Compare(a.Key, b.Key))
			})
		}
	}
	return out
}

// hostTotal sums the records of one host.
type hostTotal struct {
	Host                              string
	Entries, Bytes                    int
	Fresh, Stale, Expired, Unreadable int
}

// totalsByHost sums entries per host, largest first.
func totalsByHost(entries []entry) []hostTotal {
	m := map[string]*hostTotal{}
	for _, e := range entries {
		t := m[e.Host]
		if t == nil {
			t = &hostTotal{Host: e.Host}
			m[e.Host] = t
		}
		t.Entries++
		t.Bytes += e.Size
		switch e.State {
		case Fresh:
			t.Fresh++
		case Stale:
			t.Stale++
		case Expired:
			t.Expired++
		default:
			t.Unreadable++
		}
	}
	out := make([]hostTotal, 0, len(m))
	for _, t := range m {
		out = append(out, *t)
	}
	slices.SortFunc(out, func(a, b hostTotal) int {
		return cmp.Or(cmp.Compare(b.Bytes, a.Bytes), cmp.Compare(b.Entries, a.Entries), strings.Compare(a.Host, b.Host))
	})
	return out
}
