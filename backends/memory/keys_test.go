package memory

import (
	"strings"
	"testing"
)

func TestHeldKeyRoundTrip(t *testing.T) {
	hex64 := strings.Repeat("0123456789abcdef", 4)
	for _, key := range []string{
		"", "a", "v1:" + hex64, hex64, "x" + hex64, "v1:" + strings.ToUpper(hex64),
		"v1:" + hex64[:63] + "g", "\x00" + hex64, "\x01" + hex64, "\x01abc", hex64[:63],
		"kv:prefix:" + hex64 + hex64,
	} {
		held := heldKey(key)
		if got := unpackKey(held); got != key {
			t.Errorf("unpackKey(heldKey(%q)) = %q", key, got)
		}
		if keyLen(held) != len(key) {
			t.Errorf("keyLen(heldKey(%q)) = %d, want %d", key, keyLen(held), len(key))
		}
	}
	if held := heldKey("v1:" + hex64); len(held) != 1+3+32 {
		t.Errorf("a cachedhttp key is held in %d bytes, want 36", len(held))
	}
}

// FuzzHeldKey checks that the held form of any key gives the key back and
// that two keys never share a held form.
func FuzzHeldKey(f *testing.F) {
	hex64 := strings.Repeat("0123456789abcdef", 4)
	f.Add("v1:"+hex64, "v1:"+hex64[:63]+"F")
	f.Add("\x01", "")
	f.Fuzz(func(t *testing.T, a, b string) {
		ha, hb := heldKey(a), heldKey(b)
		if unpackKey(ha) != a || keyLen(ha) != len(a) {
			t.Fatalf("%q does not round-trip: held %q", a, ha)
		}
		if (ha == hb) != (a == b) {
			t.Fatalf("keys %q and %q: held forms %q, %q", a, b, ha, hb)
		}
	})
}

func TestGetDoesNotAllocate(t *testing.T) {
	b := New(Options{})
	key := "v1:" + strings.Repeat("0123456789abcdef", 4)
	if err := b.Set(t.Context(), key, []byte("v"), 0); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(100, func() {
		if _, err := b.Get(t.Context(), key); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Fatalf("Get allocates %v times per call, want 0", n)
	}
}
