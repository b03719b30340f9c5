package keys

import (
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
)

// effectiveMethodRef is EffectiveMethod as first written: each name looked
// up in turn, by firstValue.
func effectiveMethodRef(method string, h http.Header) string {
	for _, name := range [...]string{"X-Http-Method-Override", "X-Http-Method", "X-Method-Override"} {
		v := strings.Trim(firstValue(h, name), " \t")
		if v != "" {
			return strings.ToUpper(v)
		}
	}
	return method
}

// firstValue returns the first field line named canon: under the canonical
// key, else under the least (byte order) other spelling that has one, so
// the result does not depend on map order.
func firstValue(h http.Header, canon string) string {
	if vs := h[canon]; len(vs) > 0 {
		return vs[0]
	}
	best, v := "", ""
	for k, vs := range h {
		if len(vs) > 0 && strings.EqualFold(k, canon) && (best == "" || k < best) {
			best, v = k, vs[0]
		}
	}
	return v
}

// TestEffectiveMethodOnePass: the one-pass EffectiveMethod answers as the
// name-by-name reading over random headers of the three names in several
// spellings, with empty, blank and several lines, among other fields.
func TestEffectiveMethodOnePass(t *testing.T) {
	names := []string{
		"X-Http-Method-Override", "x-http-method-override", "X-HTTP-Method-Override",
		"X-Http-Method", "x-http-method", "X-HTTP-METHOD",
		"X-Method-Override", "x-method-override", "X-METHOD-OVERRIDE",
		"Accept", "X-Http-Methods", "User-Agent",
	}
	values := [][]string{nil, {}, {""}, {" "}, {"delete"}, {" Put\t"}, {"", "PATCH"}, {"get", "post"}}
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 20000 {
		h := http.Header{}
		for range r.IntN(5) {
			h[names[r.IntN(len(names))]] = values[r.IntN(len(values))]
		}
		if got, want := EffectiveMethod("POST", h), effectiveMethodRef("POST", h); got != want {
			t.Fatalf("case %d: EffectiveMethod(%v) = %q, the name-by-name reading %q", i, h, got, want)
		}
	}
}
