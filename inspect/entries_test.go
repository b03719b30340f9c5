package inspect

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/cachedhttp/cachedhttp/keys"
	"github.com/cachedhttp/cachedhttp/models"
)

func TestStateOf(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	past, future := now.Add(-time.Minute), now.Add(time.Minute)
	etag := http.Header{"Etag": {`"x"`}}
	lm := http.Header{"Last-Modified": {"Mon, 02 Jan 2006 15:04:05 GMT"}}
	for _, c := range []struct {
		name string
		rec  models.Response
		want State
	}{
		{"never expires", models.Response{}, Fresh},
		{"before expiry", models.Response{Expires: future}, Fresh},
		{"at expiry", models.Response{Expires: now}, Expired},
		{"always revalidated", models.Response{Expires: future, Revalidate: true}, Stale},
		{"inside the stale window", models.Response{Expires: past, StaleUntil: future}, Stale},
		{"past the stale window", models.Response{Expires: past, StaleUntil: past}, Expired},
		{"with an ETag", models.Response{Expires: past, Header: etag}, Stale},
		{"with Last-Modified", models.Response{Expires: past, Header: lm}, Stale},
	} {
		if got := stateOf(&c.rec, now); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
}

func TestStatusMatches(t *testing.T) {
	for _, c := range []struct {
		s    string
		code int
		want bool
	}{
		{"2xx", 204, true}, {"2xx", 304, false}, {"5xx", 503, true}, {"404", 404, true},
		{"404", 410, false}, {"9xx", 900, false}, {"xx", 0, false}, {"abc", 200, false},
	} {
		if got := statusMatches(c.s, c.code); got != c.want {
			t.Errorf("statusMatches(%q, %d) = %v", c.s, c.code, got)
		}
	}
}

func TestFilterValuesRoundTrip(t *testing.T) {
	q, _ := url.ParseQuery("q=+items+&host=h&status=2xx&state=stale&size=lt1k&sort=largest&page=3&done=deleted")
	f := parseFilter(q)
	if f != (filter{Q: "items", Host: "h", Status: "2xx", State: "stale", Size: "lt1k", Sort: "largest", Page: 3}) {
		t.Errorf("parseFilter: %+v", f)
	}
	if got := f.values().Encode(); got != "host=h&q=items&size=lt1k&sort=largest&state=stale&status=2xx" {
		t.Errorf("values: %s", got)
	}
	if f := parseFilter(url.Values{"sort": {"bogus"}, "page": {"-2"}}); f.Sort != "newest" || f.Page != 1 || f.active() {
		t.Errorf("defaults: %+v", f)
	}
}

func TestReturnToKeepsOnlyFilters(t *testing.T) {
	got := returnTo("host=h&page=2&next=https://evil.example&done=cleared").Encode()
	if got != "host=h&page=2" {
		t.Errorf("returnTo: %s", got)
	}
}

func TestTotalsByHost(t *testing.T) {
	ts := totalsByHost([]entry{
		{Host: "a", Size: 10, State: Fresh}, {Host: "b", Size: 100, State: Stale},
		{Host: "a", Size: 5, State: Expired}, {Host: "c", Size: 100, State: Unreadable}, {Host: "c", State: Fresh},
	})
	want := []hostTotal{
		{Host: "c", Entries: 2, Bytes: 100, Fresh: 1, Unreadable: 1},
		{Host: "b", Entries: 1, Bytes: 100, Stale: 1},
		{Host: "a", Entries: 2, Bytes: 15, Fresh: 1, Expired: 1},
	}
	if len(ts) != len(want) {
		t.Fatalf("%+v", ts)
	}
	for i := range want {
		if ts[i] != want[i] {
			t.Errorf("%d: %+v, want %+v", i, ts[i], want[i])
		}
	}
}

func TestFormat(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, c := range []struct{ got, want string }{
		{formatBytes(0), "0 B"}, {formatBytes(1023), "1023 B"}, {formatBytes(1536), "1.5 KiB"},
		{formatBytes(200 << 20), "200 MiB"}, {formatBytes(3 << 30), "3.0 GiB"},
		{formatDuration(340 * time.Microsecond), "340µs"}, {formatDuration(1500 * time.Millisecond), "1s"},
		{formatDuration(90 * time.Minute), "1h 30m"}, {formatDuration(26*time.Hour + 5*time.Second), "1d 2h"},
		{formatDuration(time.Hour + 5*time.Second), "1h"},
		{relTime(time.Time{}, now), "never"}, {relTime(now, now), "now"},
		{relTime(now.Add(75*time.Second), now), "in 1m 15s"}, {relTime(now.Add(-2*time.Hour), now), "2h ago"},
		{shortKey("v1:0123456789abcdef0123"), "v1:0123456789ab…"},
		{shortKey("v1:0123456789abcdef0123|fedcba98" + strings.Repeat("0", keys.VariantLen-9)), "v1:0123456789ab…|fedcba98…"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}
