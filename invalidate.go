package cachedhttp

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/cachedhttp/cachedhttp/policy"
)

// invalidate deletes what is stored for the URLs an unsafe request changed
// (RFC 9111 §4.4). own is the request's primary key when it may store its
// response ("" otherwise); the result is added to the generation the
// request read (see writeBehind.invalidate).
func (t *Transport) invalidate(req *http.Request, resp *http.Response, own string) uint64 {
	if t.readOnly {
		return 0
	}
	urls := policy.Invalidations(req, resp)
	if len(urls) == 0 {
		return 0
	}
	var ks []string
	for _, u := range urls {
		g := &http.Request{Method: http.MethodGet, URL: u, Header: req.Header, Host: u.Host}
		g = g.WithContext(req.Context())
		k, err := t.key(g, nil)
		if err != nil {
			continue
		}
		ks = append(ks, k)
	}
	t.stats.invalidations.Add(int64(len(ks)))
	mine, err := t.wb.invalidate(context.WithoutCancel(req.Context()), own, ks...)
	if err != nil && !skipped(err) {
		t.stats.backendErrors.Add(1)
		t.log.warn(req.Context(), "cachedhttp: backend delete failed", slog.Any("keys", ks), slog.Any("error", err))
	}
	return mine
}

// deleteKeys deletes keys from the queue and the backend; a failure is
// logged and counted (the request it serves goes on).
func (t *Transport) deleteKeys(ctx context.Context, ks ...string) {
	if err := t.wb.delete(context.WithoutCancel(ctx), ks...); err != nil && !skipped(err) {
		t.stats.backendErrors.Add(1)
		t.log.warn(ctx, "cachedhttp: backend delete failed", slog.Any("keys", ks), slog.Any("error", err))
	}
}
