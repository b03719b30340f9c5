package bbolt

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// inline is a record of format version 1: the header, then the value.
func inline(h header, value string) []byte { return append(appendHeader(nil, h), value...) }

func TestParseHeader(t *testing.T) {
	tests := []struct {
		name    string
		rec     []byte
		want    header
		wantErr bool
	}{
		{name: "empty record is corrupt", rec: nil, wantErr: true},
		{name: "a header", rec: appendHeader(nil, header{expires: 5, seq: 7}), want: header{expires: 5, seq: 7}},
		{name: "one byte short of a header is corrupt", rec: make([]byte, headerSize-1), wantErr: true},
		{name: "a header and more (a version 1 record) is corrupt", rec: inline(header{seq: 1}, "abc"), wantErr: true},
		{name: "negative expiry is corrupt", rec: appendHeader(nil, header{expires: -1}), wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := parseHeader(tt.rec)
			if tt.wantErr {
				if !errors.Is(err, ErrCorrupt) {
					t.Fatalf("parseHeader = %v; want ErrCorrupt", err)
				}
				return
			}
			if err != nil || h != tt.want {
				t.Fatalf("parseHeader = %+v, %v; want %+v", h, err, tt.want)
			}
		})
	}
}

func TestParseInline(t *testing.T) {
	tests := []struct {
		name    string
		rec     []byte
		want    header
		value   string
		wantErr bool
	}{
		{name: "empty record is corrupt", rec: nil, wantErr: true},
		{name: "header only is an empty value", rec: inline(header{expires: 5, seq: 7}, ""), want: header{expires: 5, seq: 7}},
		{name: "value follows the header", rec: inline(header{seq: 1}, "abc"), want: header{seq: 1}, value: "abc"},
		{name: "one byte short of a header is corrupt", rec: make([]byte, headerSize-1), wantErr: true},
		{name: "negative expiry is corrupt", rec: inline(header{expires: -1}, "abc"), wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, v, err := parseInline(tt.rec)
			if tt.wantErr {
				if !errors.Is(err, ErrCorrupt) {
					t.Fatalf("parseInline = %v; want ErrCorrupt", err)
				}
				return
			}
			if err != nil || h != tt.want || string(v) != tt.value {
				t.Fatalf("parseInline = %+v, %q, %v; want %+v, %q", h, v, err, tt.want, tt.value)
			}
		})
	}
}

func TestHeaderExpired(t *testing.T) {
	tests := []struct {
		name string
		h    header
		now  int64
		want bool
	}{
		{"zero expiry never expires", header{}, 1 << 62, false},
		{"expired at the instant", header{expires: 10}, 10, true},
		{"not yet", header{expires: 10}, 9, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.h.expired(tt.now); got != tt.want {
				t.Errorf("expired = %v; want %v", got, tt.want)
			}
		})
	}
}

// FuzzParseRecord checks that any bytes decode without panicking as either
// format's record, that decoding inverts encoding, and that an inline
// value aliases the record (the copy migrate makes is its own).
func FuzzParseRecord(f *testing.F) {
	f.Add([]byte{})
	f.Add(inline(header{expires: 1, seq: 2}, "value"))
	f.Add(make([]byte, headerSize))
	f.Add(bytes.Repeat([]byte{0xff}, 40))
	f.Fuzz(func(t *testing.T, rec []byte) {
		if h, err := parseHeader(rec); err == nil {
			if again := appendHeader(nil, h); !bytes.Equal(again, rec) || h.expires < 0 {
				t.Fatalf("parseHeader(%x) = %+v, which encodes as %x", rec, h, again)
			}
		} else if !errors.Is(err, ErrCorrupt) {
			t.Fatalf("parseHeader error %v does not match ErrCorrupt", err)
		}
		h, v, err := parseInline(rec)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("parseInline error %v does not match ErrCorrupt", err)
			}
			return
		}
		if len(v) != len(rec)-headerSize || h.expires < 0 || (len(v) > 0 && &v[0] != &rec[headerSize]) {
			t.Fatalf("parseInline(%d bytes) = %+v with %d value bytes", len(rec), h, len(v))
		}
		if again := inline(h, string(v)); !bytes.Equal(again, rec) {
			t.Fatalf("re-encoding %x gave %x", rec, again)
		}
	})
}

// FuzzKeys checks the key encodings: dbKey/cacheKey round-trip every
// string in both forms, keyLen counts the cache key's bytes, a bbolt key
// that cacheKey accepts is the one dbKey makes of its result, and
// parseExpiryKey never panics.
func FuzzKeys(f *testing.F) {
	f.Add("", []byte{})
	f.Add("key", expiryKey(header{expires: 3, seq: 4}))
	f.Add("\x00\xff", []byte("k"))
	f.Add("v1:"+strings.Repeat("0123456789abcdef", 4), []byte("h"+strings.Repeat("\xab", 32)))
	f.Add(strings.Repeat("0123456789ABCDEF", 4), []byte("h"))
	f.Fuzz(func(t *testing.T, key string, raw []byte) {
		for _, packed := range []bool{false, true} {
			k := dbKey(key, packed)
			got, err := cacheKey(k)
			if err != nil || got != key {
				t.Fatalf("cacheKey(dbKey(%q, %v)) = %q, %v", key, packed, got, err)
			}
			if keyLen(k) != len(key) {
				t.Fatalf("keyLen(dbKey(%q, %v)) = %d", key, packed, keyLen(k))
			}
		}
		if key, err := cacheKey(raw); err == nil {
			// The form raw has is the one dbKey picks for key: no
			// two bbolt keys stand for one cache key.
			if again := dbKey(key, raw[0] == 'h'); !bytes.Equal(again, raw) {
				t.Fatalf("cacheKey(%q) = %q, whose bbolt key is %q", raw, key, again)
			}
		} else if len(raw) > 0 && raw[0] == 'k' {
			t.Fatalf("cacheKey(%q) refused a key with the prefix: %v", raw, err)
		}
		if exp, err := parseExpiryKey(raw); err == nil {
			if len(raw) != 16 || !bytes.Equal(expiryKey(header{expires: exp, seq: binaryTail(raw)})[:8], raw[:8]) {
				t.Fatalf("parseExpiryKey(%x) = %d", raw, exp)
			}
		}
	})
}

func binaryTail(k []byte) uint64 {
	var s uint64
	for _, b := range k[8:] {
		s = s<<8 | uint64(b)
	}
	return s
}
