package inspect

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"encoding/hex"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"
)

// preview is the part of a body a record page shows.
type preview struct {
	// Text holds the shown bytes as text when they are printable UTF-8,
	// else a hex dump of them; Hex tells which.
	Text string
	Hex  bool
	// Shown is how many bytes Text presents, of Total in the (decoded)
	// body.
	Shown, Total int
	// Decoded names the Content-Encoding undone for the preview ("gzip"),
	// empty when the stored bytes are shown as they are.
	Decoded string
	// Stored is the size of the body as stored.
	Stored int
}

// makePreview presents at most limit bytes of body as text, or at most
// limit/16 bytes as a hex dump when they are not printable UTF-8. A gzip
// or deflate body is decoded first (reading at most limit+1 bytes of it);
// one that does not decode is shown as stored.
func makePreview(body []byte, contentEncoding string, limit int) preview {
	p := preview{Stored: len(body), Total: len(body)}
	data := body
	switch enc := strings.ToLower(strings.TrimSpace(contentEncoding)); enc {
	case "gzip", "x-gzip", "deflate":
		if d, total, ok := decode(body, enc, limit); ok {
			data, p.Decoded, p.Total = d, enc, total
		}
	}
	if len(data) > limit {
		data = data[:limit]
	}
	if text, ok := printable(data, p.Total < 0 || len(data) < p.Total); ok {
		p.Text, p.Shown = text, len(text)
		return p
	}
	n := min(len(data), max(limit/16, 16))
	p.Text, p.Shown, p.Hex = hex.Dump(data[:n]), n, true
	return p
}

// decode undoes a content coding, reading at most limit+1 bytes; total is
// the decoded size when the whole body was read, else -1 ("more than
// limit").
func decode(body []byte, enc string, limit int) (out []byte, total int, ok bool) {
	var r io.Reader
	if enc == "deflate" {
		r = flate.NewReader(bytes.NewReader(body))
	} else {
		z, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			return nil, 0, false
		}
		r = z
	}
	out, err := io.ReadAll(io.LimitReader(r, int64(limit)+1))
	if len(out) > limit {
		return out[:limit], -1, true
	}
	if err != nil {
		return nil, 0, false
	}
	return out, len(out), true
}

// printable returns b as text when it is UTF-8 with no control characters
// but tab, newline, carriage return and form feed. When cut is true, b was
// cut from a longer body, and an incomplete last character is dropped.
func printable(b []byte, cut bool) (string, bool) {
	if cut {
		// Drop at most utf8.UTFMax-1 bytes of a character cut in two.
		for i := 1; i < utf8.UTFMax && i <= len(b); i++ {
			if utf8.RuneStart(b[len(b)-i]) {
				if r, size := utf8.DecodeRune(b[len(b)-i:]); r == utf8.RuneError && size == 1 {
					b = b[:len(b)-i]
				}
				break
			}
		}
	}
	if !utf8.Valid(b) {
		return "", false
	}
	s := string(b)
	for _, r := range s {
		if unicode.IsControl(r) && r != '\t' && r != '\n' && r != '\r' && r != '\f' {
			return "", false
		}
	}
	return s, true
}
