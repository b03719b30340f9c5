package cachedhttp

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"sync"
)

// This file holds the bodies of the responses the Transport returns, each
// carrying the response's CacheInfo (see Info), and the request-body
// helpers.

// hitBody is the body of a response served from the cache: a reader over
// the stored bytes (which it never copies) and the response's Info.
type hitBody struct {
	r     bytes.Reader
	info  CacheInfo
	spare [2]string // backing for the Age and Cache-Status values
	text  [96]byte  // backing for their bytes (written once, then only read)
	vals  [8]string // backing for the header's values, when they fit
}

func (b *hitBody) Read(p []byte) (int, error)         { return b.r.Read(p) }
func (b *hitBody) WriteTo(w io.Writer) (int64, error) { return b.r.WriteTo(w) }
func (b *hitBody) Close() error                       { return nil }
func (b *hitBody) cacheInfo() *CacheInfo              { return &b.info }

// teeBody streams a response body to the caller while keeping a copy; at a
// clean EOF whose length matches Content-Length, the copy is stored. A short,
// failed, abandoned or over-limit body is never stored.
type teeBody struct {
	io.ReadCloser
	info   *CacheInfo
	buf    []byte
	limit  int64
	expect int64
	over   bool
	flight *flight // the flight followers wait on, or nil
	once   sync.Once
	onDone func(body []byte, complete bool)
}

func (b *teeBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.flight.touch()
	if n > 0 && !b.over {
		if int64(len(b.buf)+n) > b.limit {
			b.over, b.buf = true, nil
		} else {
			b.buf = append(b.buf, p[:n]...)
		}
	}
	if err == io.EOF {
		b.finish(true)
	} else if err != nil {
		b.finish(false)
	}
	return n, err
}

func (b *teeBody) Close() error {
	b.finish(false)
	return b.ReadCloser.Close()
}

func (b *teeBody) finish(eof bool) {
	b.once.Do(func() {
		complete := eof && !b.over && (b.expect < 0 || int64(len(b.buf)) == b.expect)
		if b.buf == nil {
			b.buf = []byte{}
		}
		b.onDone(b.buf, complete)
	})
}

func (b *teeBody) cacheInfo() *CacheInfo { return b.info }

// infoBody carries Info for responses whose body needs no teeing.
type infoBody struct {
	io.ReadCloser
	info *CacheInfo
}

func (b *infoBody) cacheInfo() *CacheInfo { return b.info }

// WriteTo lets io.Copy and io.ReadAll use the stored bytes directly.
func (b *infoBody) WriteTo(w io.Writer) (int64, error) {
	if wt, ok := b.ReadCloser.(io.WriterTo); ok {
		return wt.WriteTo(w)
	}
	return io.Copy(w, b.ReadCloser)
}

// readRequestBody reads a request body of up to limit bytes so that it can
// take part in the key and still be sent. This is the one place a request
// body is closed: when it fits, it is read whole and closed, and the
// returned request carries a reader over the bytes. When it is larger,
// tooBig is set and the returned request's body replays what was read
// followed by the rest (the next transport closes it).
func readRequestBody(req *http.Request, limit int64) (body []byte, r2 *http.Request, tooBig bool, err error) {
	if req.Body == nil || req.Body == http.NoBody {
		return nil, req, false, nil
	}
	b, err := io.ReadAll(io.LimitReader(req.Body, limit+1))
	if err != nil {
		req.Body.Close()
		return nil, req, false, fmt.Errorf("cachedhttp: read request body of %s %s: %w", req.Method, req.URL, err)
	}
	c := *req
	if int64(len(b)) > limit {
		c.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(b), req.Body), req.Body}
		return nil, &c, true, nil
	}
	req.Body.Close()
	c.Body = io.NopCloser(bytes.NewReader(b))
	return b, &c, false, nil
}

// withBody returns req with a fresh reader over body (the request body may
// be sent more than once: revalidation, retries after a 304 mismatch).
func withBody(req *http.Request, body []byte) *http.Request {
	if body == nil {
		return req
	}
	r2 := *req
	r2.Body = io.NopCloser(bytes.NewReader(body))
	r2.ContentLength = int64(len(body))
	r2.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	return &r2
}

// drain reads a little of a response body that will not be used, so the
// connection can be reused, and closes it.
func drain(resp *http.Response) {
	if resp.Body == http.NoBody { // a 304 from net/http: nothing to read
		return
	}
	_, _ = io.CopyN(io.Discard, resp.Body, 64<<10)
	resp.Body.Close()
}
