package serializers

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestCompactTablesMatchFORMAT pins the static tables of format version 2:
// FORMAT-tables.md, the specification, must list exactly the entries of
// compact_table.go, and FORMAT.md must give their sizes. An entry changed,
// moved or added on either side fails here (FORMAT.md, rule 6).
func TestCompactTablesMatchFORMAT(t *testing.T) {
	blocks := readTableBlocks(t, "FORMAT-tables.md")
	var statuses, protos []string
	for i := 1; i < len(compactStatuses); i++ {
		statuses = append(statuses, strconv.Itoa(compactStatuses[i]))
	}
	for i := 1; i < len(compactProtos); i++ {
		p := compactProtos[i]
		name := p.proto
		if name == "" {
			name = `""`
		}
		protos = append(protos, fmt.Sprintf("%s %d %d", name, p.major, p.minor))
	}
	tables := []struct {
		block string
		first int
		code  []string
	}{
		{"names", 0, compactNames[:]},
		{"values", 0, compactValues[:]},
		{"statuses", 1, statuses},
		{"protocols", 1, protos},
	}
	spec, err := os.ReadFile("FORMAT.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, tb := range tables {
		got := blocks[tb.block]
		if len(got) != len(tb.code) {
			t.Errorf("%s: FORMAT-tables.md lists %d entries, compact_table.go has %d", tb.block, len(got), len(tb.code))
		}
		for i := range min(len(got), len(tb.code)) {
			if want := strconv.Itoa(i+tb.first) + " " + tb.code[i]; got[i] != want {
				t.Errorf("%s entry %d: FORMAT-tables.md has %q, compact_table.go %q", tb.block, i+tb.first, got[i], want)
			}
		}
		if want := fmt.Sprintf("%s (%d", tb.block, len(tb.code)); tb.block != "statuses" && !strings.Contains(string(spec), want) {
			t.Errorf("FORMAT.md does not give the size of the %s table as %q", tb.block, want)
		}
	}
	if !strings.Contains(string(spec), fmt.Sprintf("status codes (%d)", len(statuses))) {
		t.Errorf("FORMAT.md does not give the size of the status table (%d)", len(statuses))
	}
}

// readTableBlocks returns the lines of each fenced block of path, by the
// block's info string.
func readTableBlocks(t *testing.T, path string) map[string][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	blocks := map[string][]string{}
	block := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case block == "" && strings.HasPrefix(line, "```") && len(line) > 3:
			block = line[3:]
		case block != "" && line == "```":
			block = ""
		case block != "":
			blocks[block] = append(blocks[block], line)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return blocks
}

func TestCompactTablesAreWellFormed(t *testing.T) {
	seen := map[string]bool{}
	for i, name := range compactNames {
		if name != http.CanonicalHeaderKey(name) {
			t.Errorf("name %d %q is not in canonical form %q: Go's header maps never hold it", i, name, http.CanonicalHeaderKey(name))
		}
		if seen[name] {
			t.Errorf("name %q twice", name)
		}
		seen[name] = true
	}
	// RFC 7541 Appendix A: every name of the HPACK static table.
	for _, h := range strings.Fields("accept-charset accept-encoding accept-language accept-ranges accept " +
		"access-control-allow-origin age allow authorization cache-control content-disposition " +
		"content-encoding content-language content-length content-location content-range content-type " +
		"cookie date etag expect expires from host if-match if-modified-since if-none-match if-range " +
		"if-unmodified-since last-modified link location max-forwards proxy-authenticate " +
		"proxy-authorization range referer refresh retry-after server set-cookie " +
		"strict-transport-security transfer-encoding user-agent vary via www-authenticate") {
		if !seen[http.CanonicalHeaderKey(h)] {
			t.Errorf("HPACK static table name %q is missing", h)
		}
	}
	values := map[string]bool{}
	for _, v := range compactValues {
		if values[v] {
			t.Errorf("value %q twice", v)
		}
		if _, ok := parseDecimal(v); ok {
			t.Errorf("value %q is a decimal: the decimal form would never be used for it", v)
		}
		values[v] = true
	}
	if len(compactStatuses) > 32 || len(compactProtos) > 8 {
		t.Errorf("%d statuses and %d protocols do not fit the line byte", len(compactStatuses)-1, len(compactProtos)-1)
	}
	codes := map[int]bool{}
	for _, c := range compactStatuses[1:] {
		if codes[c] {
			t.Errorf("status %d twice", c)
		}
		codes[c] = true
	}
}

// TestIMFFixdateForm checks the date form against the standard library: it
// formats as time.Format(http.TimeFormat) does, and accepts exactly the
// strings it gives back byte for byte (RFC 9110 §5.6.7 IMF-fixdate).
func TestIMFFixdateForm(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	secs := []int64{0, -1, 784111777, 253402300799, -62135596800, 1 << 40, -(1 << 40)}
	for range 2000 {
		secs = append(secs, r.Int64N(253402300800+62135596800)-62135596800)
	}
	for _, s := range secs {
		want := time.Unix(s, 0).UTC().Format(http.TimeFormat)
		got := string(appendIMFFixdate(nil, s))
		if got != want {
			t.Fatalf("appendIMFFixdate(%d) = %q, want %q", s, got, want)
		}
		u, ok := parseIMFFixdate(want)
		if y := time.Unix(s, 0).UTC().Year(); y >= 0 && y <= 9999 && (!ok || u != s) {
			t.Fatalf("parseIMFFixdate(%q) = %d, %v; want %d", want, u, ok, s)
		}
	}
	for _, v := range []string{
		"Tue, 29 Feb 2000 23:59:59 GMT", // leap year
		"Sat, 01 Jan 0000 00:00:00 GMT", // year 0
		"Fri, 31 Dec 9999 23:59:59 GMT",
		"Thu, 01 Jan 1970 00:00:00 GMT",
		"Wed, 31 Dec 1969 23:59:59 GMT",
	} {
		u, ok := parseIMFFixdate(v)
		if !ok || time.Unix(u, 0).UTC().Format(http.TimeFormat) != v {
			t.Errorf("parseIMFFixdate(%q) = %d, %v", v, u, ok)
		}
	}
	for _, v := range []string{
		"Mon, 29 Feb 1900 00:00:00 GMT",   // not a leap year
		"Sun, 06 Nov 1994 08:49:37 GMT ",  // trailing space
		"Mon, 06 Nov 1994 08:49:37 GMT",   // wrong weekday
		"Sun, 6 Nov 1994 08:49:37 GMT",    // one-digit day
		"Sunday, 06-Nov-94 08:49:37 GMT",  // RFC 850
		"Sun Nov  6 08:49:37 1994",        // asctime
		"Sun, 06 nov 1994 08:49:37 GMT",   // lower-case month
		"Thu, 31 Feb 1994 08:49:37 GMT",   // normalised by time.Date
		"Sun, 06 Nov 1994 24:00:00 GMT",   // hour 24
		"Sun, 06 Nov 1994 08:49:60 GMT",   // leap second
		"Sun, 06 Nov 1994 08:49:37 UTC",   // zone
		"Sun, 06 Nov +994 08:49:37 GMT",   // sign in the year
		"Sun, 06 Nov 1994 08:49:37 GMT\n", // length
	} {
		if _, ok := parseIMFFixdate(v); ok {
			t.Errorf("parseIMFFixdate accepted %q", v)
		}
	}
}

func TestDecimalForm(t *testing.T) {
	for _, tt := range []struct {
		s  string
		ok bool
	}{
		{"0", true}, {"1024", true}, {"18446744073709551615", true},
		{"", false}, {"00", false}, {"007", false}, {"-1", false}, {"+1", false}, {"1_000", false},
		{"18446744073709551616", false}, {"1e3", false}, {" 1", false}, {"0x10", false},
	} {
		n, ok := parseDecimal(tt.s)
		if ok != tt.ok {
			t.Errorf("parseDecimal(%q) ok = %v, want %v", tt.s, ok, tt.ok)
		}
		if ok && (strconv.FormatUint(n, 10) != tt.s || decimalLen(n) != len(tt.s)) {
			t.Errorf("parseDecimal(%q) = %d, which does not format back", tt.s, n)
		}
	}
}
