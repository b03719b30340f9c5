package inspect

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"strings"
	"testing"
	"unicode/utf8"
)

func gz(t testing.TB, s string) []byte {
	var b bytes.Buffer
	z := gzip.NewWriter(&b)
	z.Write([]byte(s))
	z.Close()
	return b.Bytes()
}

func deflate(t testing.TB, s string) []byte {
	var b bytes.Buffer
	z, _ := flate.NewWriter(&b, flate.BestSpeed)
	z.Write([]byte(s))
	z.Close()
	return b.Bytes()
}

func TestPreview(t *testing.T) {
	long := strings.Repeat("é", 40) // 80 bytes
	cases := []struct {
		name     string
		body     []byte
		enc      string
		limit    int
		wantText string // prefix of Text
		hex      bool
		shown    int
		total    int
		decoded  string
	}{
		{"empty", nil, "", 64, "", false, 0, 0, ""},
		{"short text", []byte("hello\r\n\tworld\f"), "", 64, "hello\r\n\tworld\f", false, 14, 14, ""},
		{"text cut at the limit", []byte(strings.Repeat("a", 100)), "", 64, strings.Repeat("a", 64), false, 64, 100, ""},
		{"a character cut in two is dropped", []byte(long), "", 63, strings.Repeat("é", 31), false, 62, 80, ""},
		{"U+FFFD at the cut is kept", []byte(strings.Repeat("\uFFFD", 30)), "", 63, strings.Repeat("\uFFFD", 21), false, 63, 90, ""},
		{"invalid UTF-8 is binary", []byte("ab\xffcd"), "", 64, "00000000  61 62 ff 63 64", true, 5, 5, ""},
		{"NUL is binary", []byte("ab\x00cd"), "", 64, "00000000  61 62 00 63 64", true, 5, 5, ""},
		{"escape is binary", []byte("\x1b[31mred"), "", 64, "00000000  1b 5b", true, 8, 8, ""},
		{"hex dump bounded", bytes.Repeat([]byte{0}, 1000), "", 320, "00000000  00 00", true, 20, 1000, ""},
		{"gzip decoded", gz(t, "decoded text"), "gzip", 64, "decoded text", false, 12, 12, "gzip"},
		{"x-gzip, any case", gz(t, "decoded text"), " X-GZIP ", 64, "decoded text", false, 12, 12, "x-gzip"},
		{"deflate decoded", deflate(t, "deflated"), "deflate", 64, "deflated", false, 8, 8, "deflate"},
		{"gzip larger than the limit", gz(t, strings.Repeat("é", 1000)), "gzip", 63, strings.Repeat("é", 31), false, 62, -1, "gzip"},
		{"broken gzip shown as stored", []byte("not gzip at all"), "gzip", 64, "not gzip at all", false, 15, 15, ""},
		{"unknown coding shown as stored", []byte("plain"), "br", 64, "plain", false, 5, 5, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := makePreview(c.body, c.enc, c.limit)
			if !strings.HasPrefix(p.Text, c.wantText) || p.Hex != c.hex || p.Shown != c.shown || p.Total != c.total || p.Decoded != c.decoded || p.Stored != len(c.body) {
				t.Errorf("got Text %q Hex %v Shown %d Total %d Decoded %q Stored %d\nwant Text %q… Hex %v Shown %d Total %d Decoded %q",
					p.Text, p.Hex, p.Shown, p.Total, p.Decoded, p.Stored, c.wantText, c.hex, c.shown, c.total, c.decoded)
			}
			if !c.hex && p.Text != c.wantText {
				t.Errorf("text %q, want %q", p.Text, c.wantText)
			}
		})
	}
}

// FuzzPreview: whatever the body and its coding, the preview is bounded,
// its text is valid UTF-8, and it never panics.
func FuzzPreview(f *testing.F) {
	f.Add([]byte("hello"), "", 64)
	f.Add([]byte("ab\xffcd"), "", 16)
	f.Add(gz(f, strings.Repeat("é", 100)), "gzip", 33)
	f.Add(deflate(f, "x"), "deflate", 1)
	f.Add([]byte("\x1f\x8b\x08\x00"), "gzip", 100)
	f.Fuzz(func(t *testing.T, body []byte, enc string, limit int) {
		if limit <= 0 || limit > 1<<20 {
			limit = 64
		}
		p := makePreview(body, enc, limit)
		if p.Stored != len(body) {
			t.Fatalf("Stored %d of %d", p.Stored, len(body))
		}
		if p.Hex {
			if p.Shown > max(limit/16, 16) {
				t.Fatalf("hex dump of %d bytes, limit %d", p.Shown, limit)
			}
			return
		}
		if p.Shown > limit || p.Shown != len(p.Text) {
			t.Fatalf("text of %d bytes (%d long), limit %d", p.Shown, len(p.Text), limit)
		}
		if !utf8.ValidString(p.Text) {
			t.Fatalf("text is not UTF-8: %q", p.Text)
		}
		if p.Total >= 0 && p.Shown > p.Total {
			t.Fatalf("shows %d of %d", p.Shown, p.Total)
		}
	})
}
