package policy

import (
	"math/rand/v2"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestKeptOnMergeCoversHopByHop: every field a cache never stores (RFC
// 9111 §3.1) is also one a 304 never merges into the stored header.
func TestKeptOnMergeCoversHopByHop(t *testing.T) {
	for _, f := range hopByHop {
		if !keptOnMerge(f) {
			t.Errorf("keptOnMerge(%q) = false", f)
		}
	}
	for _, f := range []string{"Date", "Etag", "Cache-Control", "Expires", "Last-Modified", "Vary"} {
		if keptOnMerge(f) {
			t.Errorf("keptOnMerge(%q) = true: a 304 updates it (§3.2)", f)
		}
	}
}

// TestMkdateAgreesWithTimeDate: the direct computation gives what
// time.Date gives for every day of years 0 to 9999 sampled, at several
// times of day, leap seconds included, and refuses the days a month lacks.
func TestMkdateAgreesWithTimeDate(t *testing.T) {
	for _, year := range []int{0, 1, 4, 99, 100, 400, 1582, 1899, 1900, 1969, 1970, 1971, 1999, 2000, 2001, 2024, 2026, 2038, 2100, 2400, 9999} {
		for mon := time.January; mon <= time.December; mon++ {
			for day := 1; day <= 31; day++ {
				want := time.Date(year, mon, day, 23, 59, 60, 0, time.UTC)
				valid := time.Date(year, mon, day, 0, 0, 0, 0, time.UTC).Day() == day
				got, ok := mkdate(year, mon, day, 23, 59, 60)
				if ok != valid || ok && !got.Equal(want) || ok && got != want {
					t.Fatalf("mkdate(%d, %v, %d, 23:59:60) = %v, %v; want %v, %v", year, mon, day, got, ok, want, valid)
				}
				if got, ok := mkdate(year, mon, day, 0, 0, 0); ok && got != time.Date(year, mon, day, 0, 0, 0, 0, time.UTC) {
					t.Fatalf("mkdate(%d, %v, %d, 00:00:00) = %v", year, mon, day, got)
				}
			}
		}
	}
}

// TestDayNameAndMonth: the packed comparisons accept exactly the
// three-letter day and month names, in any case (RFC 9111 §4.2).
func TestDayNameAndMonth(t *testing.T) {
	days := []string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}
	months := []string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}
	alphabet := "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0 ,\x80"
	for i := 0; i < len(alphabet); i++ {
		for j := 0; j < len(alphabet); j++ {
			for k := 0; k < len(alphabet); k++ {
				s := string([]byte{alphabet[i], alphabet[j], alphabet[k]})
				wantDay := false
				for _, d := range days {
					wantDay = wantDay || equalFold(s, d)
				}
				if dayName(s) != wantDay {
					t.Fatalf("dayName(%q) = %v", s, !wantDay)
				}
				wantMon := time.Month(0)
				for m, name := range months {
					if equalFold(s, name) {
						wantMon = time.Month(m + 1)
					}
				}
				if got, ok := month(s); got != wantMon || ok != (wantMon != 0) {
					t.Fatalf("month(%q) = %v, %v; want %v", s, got, ok, wantMon)
				}
			}
		}
	}
	if dayName("Su") || dayName("Sund") {
		t.Error("dayName accepts a name of another length")
	}
}

// TestEndToEndIsCloneThenStrip: the one-pass copy a response's header is
// stored from keeps exactly what cloning it and removing the hop-by-hop
// fields (RFC 9111 §3.1) keeps, nil values included, and shares no value
// slice with the response.
func TestEndToEndIsCloneThenStrip(t *testing.T) {
	if !isHopByHop(hopByHop[0]) {
		t.Fatal("isHopByHop misses Connection")
	}
	for _, f := range hopByHop {
		if !isHopByHop(f) {
			t.Errorf("isHopByHop(%q) = false", f)
		}
	}
	for _, h := range []http.Header{
		nil,
		{},
		{"Content-Type": {"text/plain"}, "Cache-Control": {"max-age=60"}, "Etag": {`"a"`}},
		{"Keep-Alive": {"timeout=5"}, "Transfer-Encoding": {"chunked"}, "Te": {"trailers"}, "Trailer": {"X"},
			"Upgrade": {"h2c"}, "Proxy-Authenticate": {"Basic"}, "Proxy-Authorization": {"Basic x"},
			"Proxy-Connection": {"keep-alive"}, "Vary": {"Accept", "Origin"}, "X-Nil": nil, "X-Empty": {}},
		{"Connection": {"X-Hop, close"}, "X-Hop": {"1"}, "Keep-Alive": {"timeout=5"}, "Date": {"Mon, 02 Jan 2006 15:04:05 GMT"}},
	} {
		want := h.Clone()
		if want == nil {
			want = http.Header{}
		}
		stripHopByHop(want)
		got := endToEnd(h)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("endToEnd(%v) = %v, want %v", h, got, want)
		}
		for k, vv := range got {
			if len(vv) > 0 {
				vv[0] = "changed"
				if h[k][0] == "changed" {
					t.Errorf("endToEnd(%v) shares the values of %s", h, k)
				}
			}
		}
	}
}

// TestMergeHeaderAgreesWithClonePlusUpdate checks the one-pass merge
// against RFC 9111 §3.2 read literally: a copy of the stored header in
// which each field of the 304 (its name in canonical form) replaces the
// stored one, except the fields kept on merge and those Connection names.
// Random headers mix canonical and lower-case names in the 304, fields
// stored lacks, nil and multi-valued fields.
func TestMergeHeaderAgreesWithClonePlusUpdate(t *testing.T) {
	names := []string{"Date", "Etag", "Cache-Control", "Expires", "Content-Length", "Content-Type",
		"Last-Modified", "X-Trace", "Keep-Alive", "Vary", "Set-Cookie"}
	values := [][]string{nil, {}, {"a"}, {"b"}, {"a", "b"}, {"Sun, 06 Nov 1994 08:49:37 GMT"}}
	rng := rand.New(rand.NewPCG(1, 2))
	pick := func() []string { return values[rng.IntN(len(values))] }
	for i := range 20000 {
		stored, fresh := http.Header{}, http.Header{}
		for _, n := range names {
			if rng.IntN(2) == 0 {
				stored[n] = pick()
			}
			switch rng.IntN(4) {
			case 0:
				fresh[n] = pick()
			case 1:
				fresh[strings.ToLower(n)] = pick()
			}
		}
		if rng.IntN(4) == 0 {
			fresh["Connection"] = []string{"x-trace, " + strings.ToLower(names[rng.IntN(len(names))])}
		}
		share := rng.IntN(2) == 0
		got, gotOnlyDate := mergeHeader(stored, fresh, share)
		want, wantOnlyDate := mergeReference(stored, fresh)
		if !sameHeader(got, want) || gotOnlyDate != wantOnlyDate {
			t.Fatalf("case %d: stored %q, 304 %q:\n got  %q onlyDate=%v\n want %q onlyDate=%v",
				i, stored, fresh, got, gotOnlyDate, want, wantOnlyDate)
		}
		// The stored header is never written to.
		for k, vv := range got {
			if sv, ok := stored[k]; ok && len(vv) > 0 && len(sv) > 0 && &vv[0] == &sv[0] {
				t.Fatalf("case %d: %s shares the stored header's values", i, k)
			}
		}
	}
}

func mergeReference(stored, fresh http.Header) (http.Header, bool) {
	out := stored.Clone()
	var named []string
	for _, v := range fresh["Connection"] {
		for f := range strings.SplitSeq(v, ",") {
			if f = strings.TrimSpace(f); f != "" {
				named = append(named, http.CanonicalHeaderKey(f))
			}
		}
	}
	onlyDate := true
	for k, vs := range fresh {
		k = http.CanonicalHeaderKey(k)
		if keptOnMerge(k) || slices.Contains(named, k) {
			continue
		}
		if have, ok := stored[k]; ok && slices.Equal(have, vs) {
			continue
		}
		if k != "Date" {
			onlyDate = false
		}
		out[k] = vs
	}
	return out, onlyDate
}

// sameHeader compares two headers value by value, a nil value differing
// from an empty one.
func sameHeader(a, b http.Header) bool {
	if len(a) != len(b) {
		return false
	}
	for k, av := range a {
		bv, ok := b[k]
		if !ok || (av == nil) != (bv == nil) || !slices.Equal(av, bv) {
			return false
		}
	}
	return true
}
