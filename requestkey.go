package cachedhttp

import (
	"encoding/binary"
	"net/http"
	"unsafe"
)

// This file computes a request's primary key: the Transport's KeyFunc when
// one is given, else its key configuration (keys.Config), whose answers
// for requests keyed by method and URL alone are kept in t.reqKeys.

// key computes the primary key of req. A request whose key depends on its
// method and URL alone (no body, no user info, no header field the key
// reads: keys.Config.KeyedByURL) has it from t.reqKeys when it was asked
// before, as a hit or a revalidation is.
func (t *Transport) key(req *http.Request, body []byte) (string, error) {
	if t.keyFunc != nil {
		return t.keyFunc(req, body)
	}
	if len(body) == 0 && req.URL != nil && req.URL.User == nil && t.keys.KeyedByURL(req.Header) {
		var buf [maxRequestSig]byte
		if sig, ok := requestSig(buf[:0], req); ok {
			in := unsafe.String(unsafe.SliceData(sig), len(sig)) // Put keeps a copy
			h := t.reqKeys.Sum(in)
			if k, ok := t.reqKeys.Get(h, in); ok {
				return k, nil
			}
			k := t.keys.Create(req, nil)
			t.reqKeys.Put(h, in, k)
			return k, nil
		}
	}
	return t.keys.Create(req, body), nil
}

// reqKeySets sizes t.reqKeys: 2,048 requests, so that a hot set of about
// a thousand URLs asked again and again stays in it (at most about 400 KiB;
// 48 KiB when empty). With half as many, a thousand URLs thrash some sets,
// and two CPUs writing them cost 12% more per hit than one.
const reqKeySets = 1024

// maxRequestSig bounds the requests t.reqKeys keeps: a method and a URL of
// a few hundred bytes.
const maxRequestSig = 384

// requestSig appends to b everything keys.Config.Create reads from a
// request without a body whose header it does not read: the method, the
// URL's scheme, opaque part, host, path (decoded and raw) and query, and
// the Host field, each prefixed by its length. It reports false when they
// do not fit in maxRequestSig bytes.
func requestSig(b []byte, req *http.Request) ([]byte, bool) {
	u := req.URL
	fields := [...]string{req.Method, u.Scheme, u.Opaque, u.Host, u.Path, u.RawPath, u.RawQuery, req.Host}
	n := 0
	for _, f := range fields {
		n += len(f) + binary.MaxVarintLen64
	}
	if n > maxRequestSig {
		return b, false
	}
	for _, f := range fields {
		b = binary.AppendUvarint(b, uint64(len(f)))
		b = append(b, f...)
	}
	return b, true
}
