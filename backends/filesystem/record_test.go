package filesystem

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestParseFile(t *testing.T) {
	whole := append(appendHeader(nil, "key", 42, 5), "value"...)
	tests := []struct {
		name    string
		file    []byte
		key     string
		value   string
		expires int64
		wantErr bool
	}{
		{name: "whole file", file: whole, key: "key", value: "value", expires: 42},
		{name: "empty key and value", file: appendHeader(nil, "", 0, 0)},
		{name: "truncated value", file: whole[:len(whole)-1], wantErr: true},
		{name: "extra bytes", file: append(bytes.Clone(whole), 'x'), wantErr: true},
		{name: "truncated header", file: whole[:fixedSize-1], wantErr: true},
		{name: "wrong magic", file: append([]byte("XHFS"), whole[4:]...), wantErr: true},
		{name: "newer version", file: append([]byte("CHFS\x02"), whole[5:]...), wantErr: true},
		{name: "key length beyond the bound", file: appendHeader(nil, string(make([]byte, maxKeySize+1)), 0, 0), wantErr: true},
		{name: "negative expiry", file: appendHeader(nil, "k", -5, 0), wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, key, value, err := parseFile(tt.file)
			if tt.wantErr {
				if !errors.Is(err, ErrCorrupt) {
					t.Fatalf("parseFile = %v; want ErrCorrupt", err)
				}
				return
			}
			if err != nil || key != tt.key || string(value) != tt.value || h.expires != tt.expires {
				t.Fatalf("parseFile = %+v, %q, %q, %v", h, key, value, err)
			}
		})
	}
}

// FuzzParseFile checks that any bytes decode without panicking, that a
// decoded file re-encodes to the same bytes, and that readHeader (what Scan
// and Sweep use) agrees with parseFile (what Get uses).
func FuzzParseFile(f *testing.F) {
	f.Add(append(appendHeader(nil, "key", 42, 5), "value"...))
	f.Add(appendHeader(nil, "", 0, 0))
	f.Add([]byte("CHFS\x01"))
	f.Add(bytes.Repeat([]byte{0xff}, 64))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, file []byte) {
		h, key, value, err := parseFile(file)
		path := filepath.Join(dir, "entry")
		if werr := os.WriteFile(path, file, 0o600); werr != nil {
			t.Fatal(werr)
		}
		buf := make([]byte, 16) // small, to exercise growing
		h2, key2, _, err2 := readHeader(path, &buf)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("parseFile error %v does not match ErrCorrupt", err)
			}
			if err2 == nil {
				t.Fatalf("readHeader accepted a file parseFile rejects (%v)", err)
			}
			return
		}
		if again := append(appendHeader(nil, key, h.expires, len(value)), value...); !bytes.Equal(again, file) {
			t.Fatalf("re-encoding gave %x; want %x", again, file)
		}
		if err2 != nil || h2 != h || key2 != key {
			t.Fatalf("readHeader = %+v, %q, %v; parseFile = %+v, %q", h2, key2, err2, h, key)
		}
	})
}
