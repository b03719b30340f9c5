package policy

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestParseHTTPDate(t *testing.T) {
	want := time.Date(1994, 11, 6, 8, 49, 37, 0, time.UTC)
	tests := []struct {
		name string
		in   string
		want time.Time
		ok   bool
	}{
		{"RFC9110 5.6.7 IMF-fixdate accepted", "Sun, 06 Nov 1994 08:49:37 GMT", want, true},
		{"RFC9110 5.6.7 rfc850 date accepted", "Sunday, 06-Nov-94 08:49:37 GMT", want, true},
		{"RFC9110 5.6.7 asctime date accepted", "Sun Nov  6 08:49:37 1994", want, true},
		{"RFC9110 5.6.7 asctime two-digit day accepted", "Wed Nov 16 08:49:37 1994", want.AddDate(0, 0, 10), true},
		{"RFC9110 5.6.7 rfc850 year 00-69 is 20xx without reference", "Monday, 06-Nov-23 08:49:37 GMT",
			time.Date(2023, 11, 6, 8, 49, 37, 0, time.UTC), true},
		{"RFC9110 5.6.7 leap second accepted", "Sat, 31 Dec 2016 23:59:60 GMT",
			time.Date(2017, 1, 1, 0, 0, 0, 0, time.UTC), true},
		{"RFC9111 4.2 GMT matched case-insensitively", "Sun, 06 Nov 1994 08:49:37 gmt", want, true},
		{"RFC9111 4.2 mixed-case GMT matched", "Sun, 06 Nov 1994 08:49:37 gMT", want, true},
		{"RFC9111 4.2 month name matched case-insensitively", "Sun, 06 NOV 1994 08:49:37 GMT", want, true},
		{"RFC9111 4.2 lower-case day and month names matched", "sun, 06 nov 1994 08:49:37 GMT", want, true},
		{"RFC9111 4.2 rfc850 names and GMT matched case-insensitively", "SUNDAY, 06-nOV-94 08:49:37 Gmt", want, true},
		{"RFC9111 4.2 asctime names matched case-insensitively", "SUN NOV  6 08:49:37 1994", want, true},
		{"RFC9111 4.2 other zones invalid whatever the case", "Sun, 06 Nov 1994 08:49:37 utc", time.Time{}, false},
		{"RFC9111 4.2 case folding does not accept other names", "Sun, 06 Nvo 1994 08:49:37 GMT", time.Time{}, false},
		{"RFC9110 5.6.7 other zones invalid", "Sun, 06 Nov 1994 08:49:37 UTC", time.Time{}, false},
		{"RFC9110 5.6.7 numeric offset invalid", "Sun, 06 Nov 1994 08:49:37 +0000", time.Time{}, false},
		{"RFC9110 5.6.7 day 31 April invalid", "Thu, 31 Apr 2025 00:00:00 GMT", time.Time{}, false},
		{"RFC9110 5.6.7 29 February of a common year invalid", "Sat, 29 Feb 2025 00:00:00 GMT", time.Time{}, false},
		{"RFC9110 5.6.7 hour 24 invalid", "Sun, 06 Nov 1994 24:00:00 GMT", time.Time{}, false},
		{"RFC9110 5.6.7 single-digit day in IMF-fixdate invalid", "Sun, 6 Nov 1994 08:49:37 GMT", time.Time{}, false},
		{"RFC9111 5.3 zero is not a date", "0", time.Time{}, false},
		{"RFC9110 5.6.7 ISO 8601 invalid", "1994-11-06T08:49:37Z", time.Time{}, false},
		{"RFC9110 5.6.7 empty invalid", "", time.Time{}, false},
		{"RFC9110 5.6.7 bad day-name invalid", "Fun, 06 Nov 1994 08:49:37 GMT", time.Time{}, false},
		{"RFC9110 5.6.7 bad long day-name invalid", "Funday, 06-Nov-94 08:49:37 GMT", time.Time{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ParseHTTPDate(tt.in)
			if ok != tt.ok || !got.Equal(tt.want) {
				t.Errorf("ParseHTTPDate(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestRFC850TwoDigitYear(t *testing.T) {
	tests := []struct {
		name string
		in   string
		ref  time.Time
		year int
	}{
		{"RFC9110 5.6.7 rfc850 year within 50 years ahead is this century", "Sunday, 06-Nov-70 08:49:37 GMT",
			time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), 2070},
		{"RFC9110 5.6.7 rfc850 year more than 50 years ahead is last century", "Sunday, 06-Nov-94 08:49:37 GMT",
			time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), 1994},
		{"RFC9110 5.6.7 rfc850 year near a century end", "Sunday, 06-Nov-05 08:49:37 GMT",
			time.Date(2090, 1, 1, 0, 0, 0, 0, time.UTC), 2105},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parseHTTPDate(tt.in, tt.ref)
			if !ok || got.Year() != tt.year {
				t.Errorf("parseHTTPDate(%q, %v) = %v, %v; want year %d", tt.in, tt.ref, got, ok, tt.year)
			}
		})
	}
}

func TestExpiresCase(t *testing.T) {
	d := httpDate(t0)
	in := httpDate(at(time.Hour))
	tests := []struct {
		name    string
		expires string
		ok      bool
		fresh   time.Duration
	}{
		{"RFC9111 4.2 Expires in lower case is honoured", strings.ToLower(in), true, time.Hour},
		{"RFC9111 4.2 Expires in upper case is honoured", strings.ToUpper(in), true, time.Hour},
		{"RFC9111 4.2 Expires with gMT is honoured", strings.Replace(in, "GMT", "gMT", 1), true, time.Hour},
		{"RFC9111 5.3 Expires that is no date is in the past", "thursday", false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := get(t)
			// A validator keeps a response that is stale at once.
			resp := newResp(req, 200, "Date", d, "Expires", tt.expires, "Etag", `"e"`)
			st := (&Policy{}).Storable(req, Controls{}, nil, resp, t0, t0)
			if !st.OK {
				t.Fatalf("not stored: %s", st.Reason)
			}
			if got := st.Expires.Sub(t0); got != tt.fresh {
				t.Errorf("fresh for %v, want %v", got, tt.fresh)
			}
		})
	}
}

// TestParsedDatesAnswerOnlyTheirOwnString parses dates that share memo
// sets, in turns and from two goroutines, and checks every answer against
// time.Parse: a set answers only for the very strings it holds, whatever
// replaced them last.
func TestParsedDatesAnswerOnlyTheirOwnString(t *testing.T) {
	base := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	var dates []string
	for i := range 200 { // more dates than entries: every set is shared
		dates = append(dates, base.Add(time.Duration(i*61)*time.Second).Format(http.TimeFormat))
	}
	parseInTurns(t, dates, func(s string) error {
		want, err := time.Parse(http.TimeFormat, s)
		if err != nil {
			return err
		}
		if got, ok := ParseHTTPDate(s); !ok || !got.Equal(want) {
			return fmt.Errorf("%q: got %v %v, want %v", s, got, ok, want)
		}
		return nil
	})
	// A remembered date does not answer for another string, even one
	// that reads the same instant (case) or that is invalid.
	s := "Sun, 06 Nov 1994 08:49:37 GMT"
	if _, ok := ParseHTTPDate(s); !ok {
		t.Fatal("valid date refused")
	}
	if got, ok := ParseHTTPDate("Sun, 06 Nov 1994 08:49:37 gmt"); !ok || got.Unix() != 784111777 {
		t.Fatalf("case variant: %v %v", got, ok)
	}
	if _, ok := ParseHTTPDate("Sun, 06 Nov 1994 08:49:37 GMX"); ok {
		t.Fatal("an invalid date sharing the set of a valid one was accepted")
	}
}

// TestParsedDatesKeepTwoDatesOfOneSet: a record's Date and Last-Modified
// that fall into the same set of the memo, read in turns, are both
// answered from it after the first reading of each (no allocation), even
// when a third date of the set was read before them.
func TestParsedDatesKeepTwoDatesOfOneSet(t *testing.T) {
	base := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	var dates []string
	for i := range 100 {
		dates = append(dates, base.Add(time.Duration(i)*time.Second).Format(http.TimeFormat))
	}
	readTwoOfOneSet(t, dates, parsedDates.Sets(), memoSet, func(s string) { ParseHTTPDate(s) })
}
