package policy

import (
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/cachecontrol/cacheobject"
)

func sec(n int64) Delta { return Delta{Present: true, Arg: true, Valid: true, Seconds: n} }

func TestParseCacheControl(t *testing.T) {
	invalid := Delta{Present: true, Arg: true}
	tests := []struct {
		name  string
		lines []string
		want  Directives
	}{
		{"RFC9111 5.2 directive names are case-insensitive", []string{"MAX-AGE=5, No-Store"},
			Directives{MaxAge: sec(5), NoStore: true}},
		{"RFC9111 5.2 quoted-string argument accepted", []string{`max-age="7"`},
			Directives{MaxAge: sec(7)}},
		{"RFC9110 5.3 field lines form one list", []string{"max-age=5", "public", "must-revalidate"},
			Directives{MaxAge: sec(5), Public: true, MustRevalidate: true}},
		{"RFC9110 5.6.4 comma inside quoted string does not split", []string{`foo="a, max-age=1", private`},
			Directives{Private: true}},
		{"RFC9110 5.6.4 quoted-pair unescaped", []string{`no-cache="X-A\"B, X-C", public`},
			Directives{NoCacheFields: []string{"X-C"}, Public: true}},
		{"RFC9111 5.2.2.4 qualified no-cache field list", []string{`no-cache="set-cookie, x-foo"`},
			Directives{NoCacheFields: []string{"Set-Cookie", "X-Foo"}}},
		{"RFC9111 5.2.2.4 token form no-cache field", []string{"no-cache=set-cookie,max-age=5"},
			Directives{NoCacheFields: []string{"Set-Cookie"}, MaxAge: sec(5)}},
		{"RFC9111 5.2.2.7 qualified private", []string{`private="Authorization-Info"`},
			Directives{PrivateFields: []string{"Authorization-Info"}}},
		{"RFC9111 5.2.2.4 unqualified and qualified no-cache", []string{`no-cache, no-cache="a"`},
			Directives{NoCache: true, NoCacheFields: []string{"A"}}},
		{"RFC9111 4.2.1 empty qualified no-cache read as unqualified", []string{`no-cache=""`},
			Directives{NoCache: true}},
		{"RFC9111 4.2.1 conflicting duplicate max-age invalid", []string{"max-age=5", "max-age=10"},
			Directives{MaxAge: invalid}},
		{"RFC9111 4.2.1 identical duplicate max-age valid", []string{"max-age=5, max-age=5"},
			Directives{MaxAge: sec(5)}},
		{"RFC9111 1.2.2 non-integer delta-seconds invalid, rest kept", []string{"max-age=abc, no-store"},
			Directives{MaxAge: invalid, NoStore: true}},
		{"RFC9111 1.2.2 negative delta-seconds invalid", []string{"max-age=-1"},
			Directives{MaxAge: invalid}},
		{"RFC9111 1.2.2 huge delta-seconds saturate at 2^31", []string{"s-maxage=99999999999999999999"},
			Directives{SMaxAge: sec(1 << 31)}},
		{"RFC9111 5.2.1.2 max-stale without value", []string{"max-stale"},
			Directives{MaxStale: Delta{Present: true}}},
		{"RFC9111 5.2.1 request directives", []string{"max-stale=3, min-fresh=4, only-if-cached, no-transform"},
			Directives{MaxStale: sec(3), MinFresh: sec(4), OnlyIfCached: true, NoTransform: true}},
		{"RFC9111 5.2.3 unknown extensions ignored", []string{`community="UCI", foo, bar=1`},
			Directives{}},
		{"RFC9111 5.2.2.3 must-understand", []string{"must-understand, no-store"},
			Directives{MustUnderstand: true, NoStore: true}},
		{"RFC5861 stale-while-revalidate and stale-if-error", []string{"stale-while-revalidate=30, stale-if-error=60"},
			Directives{StaleWhileRevalidate: sec(30), StaleIfError: sec(60)}},
		{"RFC8246 immutable", []string{"immutable, proxy-revalidate"},
			Directives{Immutable: true, ProxyRevalidate: true}},
		{"RFC9111 5.2 unterminated quote read as restrictive no-cache", []string{`no-cache="a, public`},
			Directives{NoCache: true}},
		{"RFC9111 4.2.1 trailing garbage makes max-age invalid", []string{"max-age=5 x, public"},
			Directives{MaxAge: invalid, Public: true}},
		{"RFC9110 5.6.1 empty list members ignored", []string{",, ,max-age=1,,"},
			Directives{MaxAge: sec(1)}},
		{"RFC9110 5.6.1 malformed member skipped to the comma outside quotes", []string{`@x="a, no-store", max-age=5`},
			Directives{MaxAge: sec(5)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ParseCacheControl(http.Header{"Cache-Control": tt.lines})
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseCacheControl(%q)\n got %+v\nwant %+v", tt.lines, got, tt.want)
			}
		})
	}
}

// TestPquernaFallsShort records why this package parses Cache-Control
// itself instead of using github.com/pquerna/cachecontrol (DESIGN.md: "our
// own code where it is not correct, with the test that shows why"). Each
// case checks that our parser gets it right and that cacheobject does not;
// if cacheobject is fixed, this test fails and the choice can be revisited.
func TestPquernaFallsShort(t *testing.T) {
	tests := []struct {
		name   string
		value  string
		ours   func(Directives) bool
		theirs func(*cacheobject.ResponseCacheDirectives, error) bool // true when correct
	}{
		{"RFC9111 4.2.1 invalid max-age must not drop no-store", "max-age=abc, no-store",
			func(d Directives) bool { return d.NoStore && d.MaxAge.Present && !d.MaxAge.Valid },
			func(d *cacheobject.ResponseCacheDirectives, err error) bool { return err == nil && d.NoStore }},
		{"RFC9111 5.2.2.4 token-form no-cache ends at comma", "no-cache=Set-Cookie,max-age=5",
			func(d Directives) bool {
				return d.MaxAge.Valid && d.MaxAge.Seconds == 5 && reflect.DeepEqual(d.NoCacheFields, []string{"Set-Cookie"})
			},
			func(d *cacheobject.ResponseCacheDirectives, err error) bool { return err == nil && d.MaxAge == 5 }},
		{"RFC9111 4.2.1 conflicting max-age is not last-wins", "max-age=5, max-age=10",
			func(d Directives) bool { return d.MaxAge.Present && !d.MaxAge.Valid },
			func(d *cacheobject.ResponseCacheDirectives, err error) bool { return err == nil && d.MaxAge != 10 }},
		{"RFC5861 4 invalid stale-if-error must not drop no-store", "stale-if-error=soon, no-store",
			func(d Directives) bool { return d.NoStore },
			func(d *cacheobject.ResponseCacheDirectives, err error) bool { return err == nil && d.NoStore }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !tt.ours(ParseCacheControlValue(tt.value)) {
				t.Errorf("ParseCacheControlValue(%q) = %+v: wrong", tt.value, ParseCacheControlValue(tt.value))
			}
			if d, err := cacheobject.ParseResponseCacheControl(tt.value); tt.theirs(d, err) {
				t.Errorf("cacheobject now parses %q correctly (%+v, %v): reconsider using it", tt.value, d, err)
			}
		})
	}
}

func TestDeltaDuration(t *testing.T) {
	tests := []struct {
		name string
		d    Delta
		want time.Duration
	}{
		{"RFC9111 1.2.2 valid delta-seconds", sec(90), 90 * time.Second},
		{"RFC9111 1.2.2 invalid delta-seconds has no duration", Delta{Present: true, Arg: true, Seconds: 5}, 0},
		{"RFC9111 1.2.2 saturated delta-seconds", sec(1 << 31), maxAge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.d.Duration(); got != tt.want {
				t.Errorf("Duration() = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestParsedDirectivesAnswerOnlyTheirOwnValue parses values that share
// memo sets, in turns and from two goroutines, and checks every answer
// against the parser itself.
func TestParsedDirectivesAnswerOnlyTheirOwnValue(t *testing.T) {
	var values []string
	for i := range 120 {
		values = append(values, fmt.Sprintf("public, max-age=%d", i), fmt.Sprintf("no-cache, s-maxage=%d", i*7))
	}
	values = append(values, "no-store", "private", "max-age=0, must-revalidate", strings.Repeat("x", 300)+", max-age=1")
	parseInTurns(t, values, func(v string) error {
		var want Directives
		want.parse(v)
		if got := ParseCacheControlValue(v); !reflect.DeepEqual(got, want) {
			return fmt.Errorf("%q: got %+v, want %+v", v, got, want)
		}
		return nil
	})
}

// TestParsedDirectivesNotShared: field lists (a qualified no-cache or
// private) are the caller's own, never a remembered value's, so a caller
// that appends to one does not change what the next parse returns.
func TestParsedDirectivesNotShared(t *testing.T) {
	v := `no-cache="Set-Cookie", private="X-A", max-age=5`
	first := ParseCacheControlValue(v)
	first.NoCacheFields = append(first.NoCacheFields[:1], "Evil")
	first.NoCacheFields[0] = "Evil"
	first.PrivateFields[0] = "Evil"
	second := ParseCacheControlValue(v)
	if !reflect.DeepEqual(second.NoCacheFields, []string{"Set-Cookie"}) || !reflect.DeepEqual(second.PrivateFields, []string{"X-A"}) {
		t.Fatalf("a later parse sees the first caller's changes: %+v", second)
	}
	// Repeated values without field lists come from the memo and are
	// still equal to a parse.
	for range 3 {
		if d := ParseCacheControlValue("public, max-age=60"); !d.Public || d.MaxAge != sec(60) {
			t.Fatalf("%+v", d)
		}
	}
}

// TestParsedDirectivesKeepTwoValuesOfOneSet: two values of one memo set
// read in turns, after a third, are answered without allocating.
func TestParsedDirectivesKeepTwoValuesOfOneSet(t *testing.T) {
	var values []string
	for i := range 200 {
		values = append(values, fmt.Sprintf("public, max-age=%d", i))
	}
	readTwoOfOneSet(t, values, parsedDirectives.Sets(), directivesSet, func(v string) { ParseCacheControlValue(v) })
}
