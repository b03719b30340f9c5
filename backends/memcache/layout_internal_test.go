package memcache

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestHeadRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		h    head
		enc  func(h head) []byte
	}{
		{"empty value", head{kind: kindValue, gen: 1, value: []byte{}}, func(h head) []byte { return encodeValueHead(h.gen, h.expires, h.value) }},
		{"value with expiry", head{kind: kindValue, gen: 1 << 60, expires: 1700000000123, value: []byte("hello")}, func(h head) []byte { return encodeValueHead(h.gen, h.expires, h.value) }},
		{"manifest", head{kind: kindChunk, gen: 42, expires: 5, writeID: [16]byte{1, 2, 3}, size: 3 << 20, chunkSize: 1<<20 - 512, chunks: 4, crc: 0xdeadbeef}, encodeChunkHead},
		{"manifest of an exact multiple", head{kind: kindChunk, gen: 7, size: 4096, chunkSize: 1024, chunks: 4}, encodeChunkHead},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeHead(tt.enc(tt.h))
			if err != nil {
				t.Fatalf("decodeHead: %v", err)
			}
			if got.kind != tt.h.kind || got.gen != tt.h.gen || got.expires != tt.h.expires || !bytes.Equal(got.value, tt.h.value) ||
				got.writeID != tt.h.writeID || got.size != tt.h.size || got.chunkSize != tt.h.chunkSize || got.chunks != tt.h.chunks || got.crc != tt.h.crc {
				t.Errorf("decodeHead = %+v; want %+v", got, tt.h)
			}
		})
	}
}

func TestDecodeHeadRejects(t *testing.T) {
	good := encodeChunkHead(head{gen: 1, size: 10, chunkSize: 4, chunks: 3})
	mutate := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	tests := []struct {
		name string
		b    []byte
	}{
		{"empty", nil},
		{"short header", []byte(headMagic + "v")},
		{"wrong magic", append([]byte("xxxx"), good[4:]...)},
		{"unknown kind", mutate(func(b []byte) []byte { b[4] = 'z'; return b })},
		{"negative expiry", mutate(func(b []byte) []byte { b[13] = 0x80; return b })},
		{"truncated manifest", good[:len(good)-1]},
		{"manifest with trailing bytes", append(append([]byte(nil), good...), 0)},
		{"chunk count disagrees with size", encodeChunkHead(head{gen: 1, size: 10, chunkSize: 4, chunks: 2})},
		{"zero chunk size", encodeChunkHead(head{gen: 1, size: 0, chunkSize: 0, chunks: 0})},
		{"too many chunks", encodeChunkHead(head{gen: 1, size: 1 << 40, chunkSize: 1, chunks: 1 << 31})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if h, err := decodeHead(tt.b); !errors.Is(err, errCorrupt) {
				t.Errorf("decodeHead = %+v, %v; want errCorrupt", h, err)
			}
		})
	}
}

func TestIndexRoundTrip(t *testing.T) {
	keys := []string{"", "a", "\x00\x01", strings.Repeat("k", 4096), "ключ"}
	var b []byte
	for _, k := range keys {
		b = appendRecord(b, k)
	}
	var got []string
	if err := decodeIndex(b, func(k string) { got = append(got, k) }); err != nil {
		t.Fatalf("decodeIndex: %v", err)
	}
	if strings.Join(got, "|") != strings.Join(keys, "|") {
		t.Errorf("decodeIndex = %q; want %q", got, keys)
	}
}

func TestDecodeIndexRejects(t *testing.T) {
	rec := appendRecord(nil, "abc")
	tests := []struct {
		name string
		b    []byte
	}{
		{"wrong record magic", append([]byte{0x02}, rec[1:]...)},
		{"truncated key", rec[:len(rec)-1]},
		{"missing length", []byte{recordMagic}},
		{"overlong varint", append([]byte{recordMagic}, bytes.Repeat([]byte{0xff}, 11)...)},
		{"key longer than the limit", appendRecord(nil, strings.Repeat("x", maxKeyLen+1))},
		{"good record then garbage", append(append([]byte(nil), rec...), 'x')},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := decodeIndex(tt.b, func(string) {}); !errors.Is(err, errCorrupt) {
				t.Errorf("decodeIndex = %v; want errCorrupt", err)
			}
		})
	}
}

func FuzzDecodeHead(f *testing.F) {
	f.Add(encodeValueHead(1, 0, []byte("v")))
	f.Add(encodeChunkHead(head{gen: 9, size: 10, chunkSize: 4, chunks: 3, crc: 1}))
	f.Add([]byte(headMagic))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := decodeHead(b)
		if err != nil {
			if !errors.Is(err, errCorrupt) {
				t.Fatalf("decodeHead error %v does not match errCorrupt", err)
			}
			return
		}
		// Whatever decodes must encode back to the same bytes, and a
		// manifest must describe a value its chunks can hold.
		var again []byte
		switch h.kind {
		case kindValue:
			again = encodeValueHead(h.gen, h.expires, h.value)
		case kindChunk:
			if h.chunks > maxChunks || uint64(h.chunks)*uint64(h.chunkSize) < h.size {
				t.Fatalf("manifest %+v cannot hold its size", h)
			}
			again = encodeChunkHead(h)
		default:
			t.Fatalf("decoded unknown kind %q", h.kind)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("re-encoding %+v gives %x; want %x", h, again, b)
		}
	})
}

func FuzzDecodeIndex(f *testing.F) {
	f.Add(appendRecord(appendRecord(nil, "a"), "bc"))
	f.Add([]byte{recordMagic, 0x80})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		var keys []string
		err := decodeIndex(b, func(k string) { keys = append(keys, k) })
		if err != nil {
			if !errors.Is(err, errCorrupt) {
				t.Fatalf("decodeIndex error %v does not match errCorrupt", err)
			}
			return
		}
		var again []byte
		for _, k := range keys {
			if len(k) > maxKeyLen {
				t.Fatalf("decoded a key of %d bytes", len(k))
			}
			again = appendRecord(again, k)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("re-encoding %q gives %x; want %x", keys, again, b)
		}
	})
}
