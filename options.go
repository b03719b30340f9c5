package cachedhttp

import (
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/keys"
	"github.com/cachedhttp/cachedhttp/policy"
	"github.com/cachedhttp/cachedhttp/serializers"
)

// Special expiry values for WithExpireAfter, WithURLRule, WithURLRegexp and
// ExpireAfter. Any positive duration is an ordinary lifetime.
const (
	// NeverExpire keeps a response fresh forever.
	NeverExpire = time.Duration(policy.NeverExpire)
	// DoNotCache never stores the response.
	DoNotCache = time.Duration(policy.DoNotCache)
	// ExpireImmediately stores the response but revalidates it with the
	// origin before every use (a 304 makes that cheap). A zero duration
	// means the same.
	ExpireImmediately = time.Duration(policy.ExpireImmediately)
)

// KeyFunc computes the cache key of a request whose body (possibly nil) is
// body. The default is keys.Config.Create with the configured matched
// headers, ignored parameters and credential hashing.
type KeyFunc func(req *http.Request, body []byte) (string, error)

// Option configures a Transport or a Session.
type Option func(*config)

// config is what the options build; NewTransport validates it.
type config struct {
	next         http.RoundTripper
	backend      backends.Backend
	backendDSN   string
	ownsBackend  bool
	serializer   serializers.Serializer
	policy       policy.Policy
	keys         keys.Config
	keyFunc      KeyFunc
	filter       func(*http.Response) bool
	maxBody      int64
	now          func() time.Time
	logger       *slog.Logger
	writeQueue   int
	background   int
	bgTimeout    time.Duration
	sessionPath  string
	errs         []error
	cacheControl bool
	decodedBytes int64
	observer     Observer
	onlyIfCached bool
	readOnly     bool

	// Bounds (bounds.go).
	readBudget, writeBudget time.Duration
	breakerThreshold        int
	breakerBackoff          time.Duration
	openTimeout             time.Duration
	closeTimeout            time.Duration
	requireBackend          bool
}

// fail records an invalid option; NewTransport and NewSession return every
// recorded error, joined, and open nothing.
func (c *config) fail(format string, args ...any) {
	c.errs = append(c.errs, fmt.Errorf("%w: "+format, append([]any{ErrInvalidOption}, args...)...))
}

// checkExpiry accepts a lifetime >= 0 or one of the special values.
func (c *config) checkExpiry(opt string, d time.Duration) bool {
	if d >= 0 || d == NeverExpire || d == DoNotCache || d == ExpireImmediately {
		return true
	}
	c.fail("%s(%v): want a duration >= 0 or NeverExpire, ExpireImmediately, DoNotCache", opt, d)
	return false
}

func (c *config) checkNonNegative(opt string, d time.Duration) bool {
	if d >= 0 {
		return true
	}
	c.fail("%s(%v): want a duration >= 0", opt, d)
	return false
}

// apply applies opts in order; a nil Option is an error.
func (c *config) apply(opts []Option) {
	for i, o := range opts {
		if o == nil {
			c.fail("option %d of %d is nil", i+1, len(opts))
			continue
		}
		o(c)
	}
}

func defaultConfig() *config {
	return &config{
		maxBody:      64 << 20,
		now:          time.Now,
		writeQueue:   256,
		background:   4,
		bgTimeout:    30 * time.Second,
		cacheControl: true,
		decodedBytes: 32 << 20,

		readBudget:       DefaultReadBudget,
		writeBudget:      DefaultWriteBudget,
		breakerThreshold: 5,
		breakerBackoff:   time.Second,
		openTimeout:      5 * time.Second,
		closeTimeout:     10 * time.Second,
	}
}

// WithTransport sets the transport that sends requests the cache cannot
// answer. The default is http.DefaultTransport as it was when NewTransport
// was called, so that installing the cache as http.DefaultTransport cannot
// make it call itself.
func WithTransport(rt http.RoundTripper) Option {
	return func(c *config) { c.next = rt }
}

// WithBackend sets where responses are stored. The caller keeps ownership:
// Transport.Close does not close it. The default is an in-memory store for a
// Transport and a bbolt file (http_cache.db) for a Session.
func WithBackend(b backends.Backend) Option {
	return func(c *config) {
		if b == nil {
			c.fail("WithBackend(nil): give a backend, or leave the option out for the default")
			return
		}
		c.backend, c.backendDSN, c.ownsBackend = b, "", false
	}
}

// WithBackendDSN opens the backend named by dsn with backends.Open (for
// example "bbolt:///var/cache/app.db" or "redis://127.0.0.1:6379/0"); the
// Transport owns it and closes it on Close. The backend's package must be
// imported so that its scheme is registered. Serializer parameters in the
// query (serializer=, compress=, ...) choose the serializer.
func WithBackendDSN(dsn string) Option {
	return func(c *config) { c.backend, c.backendDSN = nil, dsn }
}

// WithSerializer sets how records are encoded; the default is
// serializers.Default() (compact records compressed with zstd), except for
// the memory backend, whose records are serializers.Plain() (compact,
// uncompressed: compression would cost CPU on every miss to save only heap).
func WithSerializer(s serializers.Serializer) Option {
	return func(c *config) { c.serializer = s }
}

// WithExpireAfter sets the session default lifetime, used when a response
// gives no explicit freshness (or always, with WithCacheControl(false)).
// Use NeverExpire, ExpireImmediately or DoNotCache for the special cases.
// Unset, HTTP heuristics apply (RFC 9111 §4.2.2).
func WithExpireAfter(d time.Duration) Option {
	return func(c *config) {
		if c.checkExpiry("WithExpireAfter", d) {
			c.policy.Expire = policy.ExpireAfter(d)
		}
	}
}

// WithURLRule adds a per-URL lifetime for URLs matching a glob, as
// requests-cache's urls_expire_after matches them: against the URL without
// scheme (host, path and query), every pattern a prefix, "*" any run, "?"
// one character, "[a-z]" a class, the host case-insensitive
// ("api.example.com/v1/*", "*.example.com/", "example.com/static",
// "example.com/search?q=*"); policy's glob.go documents the dialect. A
// pattern policy.ValidateGlob refuses is an invalid option. Rules are
// tried in the order they were added; the first match wins.
func WithURLRule(glob string, d time.Duration) Option {
	return func(c *config) {
		if !c.checkExpiry("WithURLRule", d) {
			return
		}
		if glob == "" {
			c.fail("WithURLRule: empty pattern (use \"*\" to match every URL)")
			return
		}
		if err := policy.ValidateGlob(glob); err != nil {
			c.fail("WithURLRule(%q): %v", glob, err)
			return
		}
		c.policy.Rules = append(c.policy.Rules, policy.Rule{Glob: glob, Expire: policy.ExpireAfter(d)})
	}
}

// WithURLRegexp adds a per-URL lifetime for URLs (the whole URL string)
// matching re, in order with the WithURLRule rules.
func WithURLRegexp(re *regexp.Regexp, d time.Duration) Option {
	return func(c *config) {
		if re == nil {
			c.fail("WithURLRegexp(nil)")
			return
		}
		if !c.checkExpiry("WithURLRegexp", d) {
			return
		}
		c.policy.Rules = append(c.policy.Rules, policy.Rule{Regexp: re, Expire: policy.ExpireAfter(d)})
	}
}

// WithCacheControl sets whether response Cache-Control, Expires and Pragma
// decide freshness (the default, true). With false, only the user's expiry
// settings decide, as requests-cache's cache_control=False; request
// directives still apply.
func WithCacheControl(honour bool) Option {
	return func(c *config) { c.cacheControl = honour }
}

// WithMethods sets the cacheable methods (default GET and HEAD). Requests
// with other methods pass through, and unsafe ones invalidate what is stored
// for their URL (RFC 9111 §4.4). Adding POST keys POST responses by body.
func WithMethods(methods ...string) Option {
	return func(c *config) {
		for _, m := range methods {
			if m == "" || strings.ToUpper(m) != m || strings.ContainsAny(m, " \t/:") {
				c.fail("WithMethods: %q is not a method as sent (methods are case-sensitive, RFC 9110 §9.1; did you mean %q?)", m, strings.ToUpper(strings.TrimSpace(m)))
				return
			}
		}
		c.policy.Methods = append([]string(nil), methods...)
	}
}

// WithStatusCodes sets the status codes that may be stored. The default is
// the heuristically cacheable codes of RFC 9110 §15.1 plus any final status
// with explicit freshness.
func WithStatusCodes(codes ...int) Option {
	return func(c *config) {
		for _, code := range codes {
			if code < 100 || code > 599 {
				c.fail("WithStatusCodes: %d is not an HTTP status code (100-599)", code)
				return
			}
		}
		c.policy.Codes = append([]int(nil), codes...)
	}
}

// WithFilter sets a function that must return true for a response to be
// stored (requests-cache's filter_fn); it runs after the HTTP rules.
func WithFilter(f func(*http.Response) bool) Option {
	return func(c *config) { c.filter = f }
}

// WithStaleIfError lets a stale response be served for up to d past its
// expiry when the origin fails or answers an error status (RFC 5861 §4: 500,
// 502, 503 or 504, or those of WithStaleIfErrorCodes). NeverExpire allows
// any stale response.
func WithStaleIfError(d time.Duration) Option {
	return func(c *config) {
		if d == NeverExpire {
			d = 100 * 365 * 24 * time.Hour
		}
		if d < 0 {
			c.fail("WithStaleIfError(%v): want a duration >= 0 or NeverExpire", d)
			return
		}
		c.policy.StaleIfErrorWindow = d
	}
}

// WithStaleIfErrorCodes sets the status codes that count as the origin
// failing for stale-if-error (default 500, 502, 503 and 504, RFC 5861 §4;
// a transport error always counts), as requests-cache users add 429 or
// other 4xx codes. Codes must be 400-599; none at all leaves transport
// errors only.
func WithStaleIfErrorCodes(codes ...int) Option {
	return func(c *config) {
		for _, code := range codes {
			if code < 400 || code > 599 {
				c.fail("WithStaleIfErrorCodes: %d is not an error status (400-599)", code)
				return
			}
		}
		c.policy.StaleIfErrorCodes = append([]int{}, codes...)
	}
}

// WithStaleWhileRevalidate lets a stale response be served for up to d past
// its expiry while it is refreshed in the background (RFC 5861 §3).
func WithStaleWhileRevalidate(d time.Duration) Option {
	return func(c *config) {
		if c.checkNonNegative("WithStaleWhileRevalidate", d) {
			c.policy.StaleWhileRevalidate = d
		}
	}
}

// WithAlwaysRevalidate revalidates every stored response with the origin
// before using it.
func WithAlwaysRevalidate() Option {
	return func(c *config) { c.policy.AlwaysRevalidate = true }
}

// WithShared selects shared-cache semantics (RFC 9111 §3.5, s-maxage,
// private, proxy-revalidate), for a cache that serves several users, such as
// the proxy command. A shared cache never stores Set-Cookie (see
// WithStripSetCookie). The default is a private cache.
func WithShared() Option {
	return func(c *config) { c.policy.Shared = true }
}

// WithTargetedFields sets a shared cache's target list (RFC 9213): response
// fields such as "CDN-Cache-Control", most applicable first. The first one
// present with a valid value replaces Cache-Control and Expires for this
// cache. A private cache ignores them.
func WithTargetedFields(names ...string) Option {
	return func(c *config) {
		for _, n := range names {
			if n == "" || strings.ContainsAny(n, " \t:,") {
				c.fail("WithTargetedFields: %q is not a field name", n)
				return
			}
		}
		c.policy.TargetedFields = append([]string(nil), names...)
	}
}

// WithStripSetCookie makes a shared cache store a response that sets a
// cookie without its Set-Cookie field, instead of not storing it; the
// client that received the response still gets its cookie. A private cache
// stores Set-Cookie as received.
func WithStripSetCookie() Option {
	return func(c *config) { c.policy.StripSetCookie = true }
}

// WithKeepStale sets how long a stale response with a validator is kept for
// revalidation with a 304 after its freshness ends (default 24 hours).
func WithKeepStale(d time.Duration) Option {
	return func(c *config) {
		if c.checkNonNegative("WithKeepStale", d) {
			c.policy.KeepStale = d
		}
	}
}

// WithKeepStaleUnvalidated sets how long a stale response without a
// validator is kept for requests that accept it stale (max-stale,
// stale-if-error). The default keeps it as long as WithKeepStale when stale
// use is expected (WithStaleIfError, WithStaleWhileRevalidate, or the
// response's own stale-if-error or stale-while-revalidate) and not at all
// otherwise.
func WithKeepStaleUnvalidated(d time.Duration) Option {
	return func(c *config) {
		if c.checkNonNegative("WithKeepStaleUnvalidated", d) {
			if d == 0 {
				d = -1 // explicitly none: policy's zero means the default
			}
			c.policy.KeepStaleUnvalidated = d
		}
	}
}

// WithMaxBodySize bounds the size of a response body that is stored
// (default 64 MiB); larger bodies stream to the caller and are not stored.
func WithMaxBodySize(n int64) Option {
	return func(c *config) {
		if n <= 0 {
			c.fail("WithMaxBodySize(%d): want a size > 0 (to store nothing, use WithExpireAfter(DoNotCache))", n)
			return
		}
		c.maxBody = n
	}
}

// WithClock sets the clock the cache reads (default time.Now), for tests.
func WithClock(now func() time.Time) Option {
	return func(c *config) {
		if now == nil {
			c.fail("WithClock(nil): leave the option out for time.Now")
			return
		}
		c.now = now
	}
}

// WithLogger sets where backend errors and decisions are logged (default:
// nowhere).
func WithLogger(l *slog.Logger) Option {
	return func(c *config) { c.logger = l }
}

// WithWriteQueue sets how many records may wait to be written to the backend
// after their bodies were read (default 256). Writes then happen behind the
// caller, in batches where the backend supports it (the writer waits up to
// 40 ms for a batch of up to 512 records and 16 MiB of bodies to fill; Close
// cuts the wait short); when the queue is full the caller writes itself.
// Zero writes synchronously at the end of the body.
func WithWriteQueue(n int) Option {
	return func(c *config) {
		if n < 0 {
			c.fail("WithWriteQueue(%d): want a length >= 0 (0 writes synchronously)", n)
			return
		}
		c.writeQueue = n
	}
}

// WithDecodedCache bounds the memory that keeps recently decoded records, so
// that a hit on bytes the cache decoded before skips decompression and
// decoding (default 32 MiB; 0 disables it). For the memory backend the
// stored bytes are shared, not copied.
func WithDecodedCache(maxBytes int64) Option {
	return func(c *config) {
		if maxBytes < 0 {
			c.fail("WithDecodedCache(%d): want a size >= 0 (0 disables it)", maxBytes)
			return
		}
		c.decodedBytes = maxBytes
	}
}

// WithSessionPath sets the bbolt file a Session opens when no backend is
// given (default DefaultSessionPath, "http_cache.db" in the working
// directory). It applies to NewSession only: NewTransport refuses it with
// an error matching ErrSessionOption rather than ignore it.
func WithSessionPath(p string) Option {
	return func(c *config) { c.sessionPath = p }
}
