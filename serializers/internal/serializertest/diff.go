package serializertest

import (
	"bytes"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/cachedhttp/cachedhttp/models"
)

// Diff describes how got differs from want, or returns "". Times compare as
// instants; the zero time must stay zero; a nil and an empty body are the
// same; nil and empty header maps and value slices differ.
func Diff(want, got *models.Response) string {
	if got == nil {
		return "got nil response"
	}
	var d []string
	check := func(name string, ok bool, w, g any) {
		if !ok {
			d = append(d, fmt.Sprintf("%s: want %#v, got %#v", name, w, g))
		}
	}
	check("StatusCode", want.StatusCode == got.StatusCode, want.StatusCode, got.StatusCode)
	check("Proto", want.Proto == got.Proto, want.Proto, got.Proto)
	check("ProtoMajor", want.ProtoMajor == got.ProtoMajor, want.ProtoMajor, got.ProtoMajor)
	check("ProtoMinor", want.ProtoMinor == got.ProtoMinor, want.ProtoMinor, got.ProtoMinor)
	check("Header", reflect.DeepEqual(want.Header, got.Header), want.Header, got.Header)
	check("Trailer", reflect.DeepEqual(want.Trailer, got.Trailer), want.Trailer, got.Trailer)
	if !bytes.Equal(want.Body, got.Body) {
		d = append(d, fmt.Sprintf("Body: want %d bytes, got %d bytes (differ)", len(want.Body), len(got.Body)))
	}
	check("Request.Method", want.Request.Method == got.Request.Method, want.Request.Method, got.Request.Method)
	check("Request.URL", want.Request.URL == got.Request.URL, want.Request.URL, got.Request.URL)
	check("Request.Header", reflect.DeepEqual(want.Request.Header, got.Request.Header), want.Request.Header, got.Request.Header)
	for _, tc := range []struct {
		name string
		w, g time.Time
	}{
		{"RequestTime", want.RequestTime, got.RequestTime},
		{"ResponseTime", want.ResponseTime, got.ResponseTime},
		{"Created", want.Created, got.Created},
		{"Expires", want.Expires, got.Expires},
		{"StaleUntil", want.StaleUntil, got.StaleUntil},
	} {
		check(tc.name, tc.w.Equal(tc.g) && tc.w.IsZero() == tc.g.IsZero(), tc.w.String(), tc.g.String())
	}
	check("Revalidate", want.Revalidate == got.Revalidate, want.Revalidate, got.Revalidate)
	check("VaryIndex", reflect.DeepEqual(want.VaryIndex, got.VaryIndex), want.VaryIndex, got.VaryIndex)
	return strings.Join(d, "\n")
}
