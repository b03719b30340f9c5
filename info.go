package cachedhttp

import (
	"net/http"
	"strings"
	"time"
)

// CacheInfo describes how the cache answered a response; see Info.
type CacheInfo struct {
	// FromCache reports that the response was served from a stored record
	// (fresh, stale, after revalidation or collapsed onto another request).
	FromCache bool
	// Revalidated reports that the origin confirmed the stored response
	// with 304 Not Modified before it was served.
	Revalidated bool
	// Stale reports that the response was served stale (stale-if-error,
	// stale-while-revalidate, max-stale).
	Stale bool
	// Created is when the served record was first received; Expires is
	// when it stops being fresh (zero: never). For a response that was
	// stored on this request, they describe the new record.
	Created time.Time
	Expires time.Time
	// Key is the cache key of the request.
	Key string
	// CacheStatus holds the Cache-Status field values (RFC 9211).
	CacheStatus []string
	// Size is the size in bytes of the stored body served (requests-cache's
	// size); zero for a response not served from the cache.
	Size int64
	// Expired reports that the served record was past its freshness when
	// served (requests-cache's is_expired): stale, or served after a
	// revalidation that did not refresh it.
	Expired bool
}

// IsExpired reports Expired, under requests-cache's name.
func (c CacheInfo) IsExpired() bool { return c.Expired }

type infoCarrier interface{ cacheInfo() *CacheInfo }

// Info returns how the cache answered resp. It reads what the
// Transport attached to the response body and, when the body was replaced
// by a wrapper, falls back to the Cache-Status header. It returns a zero
// CacheInfo for a response that did not come through a Transport.
func Info(resp *http.Response) CacheInfo {
	if resp == nil {
		return CacheInfo{}
	}
	if c, ok := resp.Body.(infoCarrier); ok && c.cacheInfo() != nil {
		return *c.cacheInfo()
	}
	var in CacheInfo
	in.CacheStatus = resp.Header.Values("Cache-Status")
	for _, v := range in.CacheStatus {
		for _, m := range strings.Split(v, ",") {
			params := strings.Split(m, ";")
			if strings.TrimSpace(params[0]) != cacheName {
				continue
			}
			for _, p := range params[1:] {
				p = strings.TrimSpace(p)
				switch {
				case p == "hit":
					in.FromCache = true
				case p == "fwd-status=304":
					in.FromCache, in.Revalidated = true, true
				case p == "collapsed":
					in.FromCache = true
				case strings.HasPrefix(p, "detail=stale"):
					in.FromCache, in.Stale = true, true
				}
			}
		}
	}
	return in
}
