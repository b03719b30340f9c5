package policy

import (
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cachedhttp/cachedhttp/models"
)

func checkDelta(t *testing.T, name string, d Delta) {
	t.Helper()
	if d.Valid && !d.Present {
		t.Fatalf("%s valid but not present: %+v", name, d)
	}
	if d.Seconds < 0 || d.Seconds > maxDeltaSeconds {
		t.Fatalf("%s out of range: %+v", name, d)
	}
	if du := d.Duration(); du < 0 || du > maxAge {
		t.Fatalf("%s duration out of range: %v", name, du)
	}
}

func FuzzParseCacheControl(f *testing.F) {
	for _, s := range []string{
		"max-age=60", `no-cache="Set-Cookie, X-A", private="b"`, "MAX-AGE=5, max-age=6",
		`max-age="7"`, "max-stale", "max-stale=3, min-fresh=4", "s-maxage=99999999999999999999",
		`x="a,b\"c", public`, `no-cache="`, "must-understand, no-store", ",,, ,",
		"stale-while-revalidate=30, stale-if-error=60, immutable", "max-age = 5",
	} {
		f.Add(s, "no-store")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		d := ParseCacheControlValue(a)
		for name, dl := range map[string]Delta{"max-age": d.MaxAge, "s-maxage": d.SMaxAge,
			"max-stale": d.MaxStale, "min-fresh": d.MinFresh, "sie": d.StaleIfError, "swr": d.StaleWhileRevalidate} {
			checkDelta(t, name, dl)
		}
		// The memo (parsedDirectives) answers as the parser does.
		var fresh Directives
		fresh.parse(a)
		if !reflect.DeepEqual(fresh, d) {
			t.Fatalf("remembered and parsed differ:\n%+v\n%+v", d, fresh)
		}
		if got := ParseCacheControl(http.Header{"Cache-Control": {a}}); !reflect.DeepEqual(got, d) {
			t.Fatalf("header and value parses differ:\n%+v\n%+v", got, d)
		}
		// Field lines are one comma-separated list (RFC 9110 §5.3), as
		// long as no unterminated quote runs across the boundary.
		if !strings.Contains(a, `"`) {
			two := ParseCacheControl(http.Header{"Cache-Control": {a, b}})
			one := ParseCacheControlValue(a + "," + b)
			if !reflect.DeepEqual(two, one) {
				t.Fatalf("two lines differ from one list:\n%+v\n%+v", two, one)
			}
		}
		for _, f := range append(d.NoCacheFields, d.PrivateFields...) {
			if f == "" || f != http.CanonicalHeaderKey(f) {
				t.Fatalf("field name %q not canonical", f)
			}
		}
	})
}

func FuzzParseHTTPDate(f *testing.F) {
	for _, s := range []string{
		"Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994",
		"Sun Nov 16 08:49:37 1994", "0", "Thu, 29 Feb 2024 23:59:60 GMT", "Wed, 31 Apr 2024 00:00:00 GMT",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tm, ok := ParseHTTPDate(s)
		if !ok {
			if !tm.IsZero() {
				t.Fatalf("invalid %q gave %v", s, tm)
			}
			return
		}
		if tm.Location() != time.UTC {
			t.Fatalf("%q: not UTC", s)
		}
		// Parsed again, it comes from the memo (parsedDates) for an
		// IMF-fixdate: the same instant.
		if again, ok := ParseHTTPDate(s); !ok || !again.Equal(tm) {
			t.Fatalf("%q parsed again: %v %v, first %v", s, again, ok, tm)
		}
		// Every accepted date survives an IMF-fixdate round trip.
		if tm.Year() >= 0 && tm.Year() <= 9999 {
			back, ok := ParseHTTPDate(tm.Format(http.TimeFormat))
			if !ok || !back.Equal(tm) {
				t.Fatalf("%q -> %v -> %q -> %v %v", s, tm, tm.Format(http.TimeFormat), back, ok)
			}
		}
		// Whatever we accept in IMF-fixdate form (leap seconds aside), the
		// standard library reads the same way; it too matches names without
		// regard to case, but not the literal "GMT".
		if len(s) == 29 && s[23:25] != "60" && s[26:] == "GMT" {
			std, err := time.Parse(http.TimeFormat, s)
			if err != nil || !std.Equal(tm) {
				t.Fatalf("%q: ours %v, time.Parse %v %v", s, tm, std, err)
			}
		}
	})
}

func FuzzAge(f *testing.F) {
	f.Add("10", "Sun, 06 Nov 1994 08:49:37 GMT", int64(0), int64(1), int64(5))
	f.Add("99999999999999999999", "", int64(-5), int64(0), int64(-10))
	f.Add("1, 2", "garbage", int64(100), int64(-100), int64(1<<40))
	f.Add("-3", "Sun Nov  6 08:49:37 1994", int64(0), int64(0), int64(0))
	f.Fuzz(func(t *testing.T, ageField, date string, reqOff, respOff, nowOff int64) {
		h := http.Header{}
		if ageField != "" {
			h.Set("Age", ageField)
		}
		if date != "" {
			h.Set("Date", date)
		}
		rec := &models.Response{Header: h,
			RequestTime:  t0.Add(time.Duration(reqOff) * time.Second),
			ResponseTime: t0.Add(time.Duration(respOff) * time.Second)}
		now := t0.Add(time.Duration(nowOff) * time.Second)
		a := Age(rec, now)
		if a < 0 || a > maxAge {
			t.Fatalf("age %v out of range", a)
		}
		if later := Age(rec, now.Add(time.Second)); later < a {
			t.Fatalf("age went backwards: %v then %v", a, later)
		}
	})
}

// FuzzParseContentRange checks that every accepted Content-Range is a valid
// part (RFC 9110 §14.4) and survives a round trip through String.
func FuzzParseContentRange(f *testing.F) {
	for _, s := range []string{"bytes 0-4/10", "bytes 5-9/*", "Bytes 0-0/1", "bytes */10", "bytes 5-4/10", "bytes 0-9/9", " bytes 1-2/3 ", "bytes 0-99999999999999999999/*"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		cr, ok := ParseContentRange(v)
		if !ok {
			return
		}
		if cr.First < 0 || cr.Last < cr.First || cr.Length != -1 && cr.Length <= cr.Last || cr.Size() <= 0 {
			t.Fatalf("ParseContentRange(%q) = %+v", v, cr)
		}
		again, ok := ParseContentRange(cr.String())
		if !ok || again != cr {
			t.Fatalf("round trip of %q: %q -> %+v, %v", v, cr.String(), again, ok)
		}
	})
}
