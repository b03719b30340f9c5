package inspect

import (
	"context"
	"crypto/rand"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"iter"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/cachedhttp/cachedhttp"
	"github.com/cachedhttp/cachedhttp/models"
)

// Cache is what the inspector reads and deletes: *cachedhttp.Transport
// implements it (for a Session, pass its Cache field).
type Cache interface {
	Records(ctx context.Context) iter.Seq[cachedhttp.Record]
	Record(ctx context.Context, key string) (*models.Response, error)
	Delete(ctx context.Context, keys ...string) error
	DeleteExpired(ctx context.Context) (int, error)
	Clear(ctx context.Context) error
	Stats() cachedhttp.Stats
}

// Options configure a Handler; the zero value (or nil) gives the defaults.
type Options struct {
	// Recorder, when set, adds request history (outcomes, bytes served
	// from the cache, recent requests; per-record Cache-Status for
	// requests made through Recorder.Wrap). Install the same Recorder on
	// the Transport with cachedhttp.WithObserver. Nil: the pages show
	// what the store and Stats know, and say that no history is kept.
	Recorder *Recorder
	// Secret keys the anti-CSRF tokens (HMAC-SHA256). Nil: 32 random
	// bytes per Handler, so tokens stop working when the process restarts
	// (a reload of the page gives a new one). Give a fixed secret when
	// several processes serve the inspector behind one address.
	Secret []byte
	// TrustedOrigins are origins ("https://admin.example") allowed to post
	// delete and purge forms besides the inspector's own (for a reverse
	// proxy that changes the Host); see http.CrossOriginProtection.
	TrustedOrigins []string
	// ReadOnly hides the delete and purge forms and refuses their requests.
	ReadOnly bool
	// PageSize is how many entries a page lists; zero means 50.
	PageSize int
	// PreviewBytes bounds the body preview: text up to PreviewBytes (zero
	// means 16 KiB), a hex dump of binary bodies up to PreviewBytes/16.
	PreviewBytes int
	// MaxRecords bounds how many records a listing decodes (zero means
	// 100,000); the page says when it stopped early.
	MaxRecords int
	// SampleEvery is how often the counters behind the charts are sampled
	// (zero means 5 s); negative samples only when a page is viewed, at
	// most once per -SampleEvery.
	SampleEvery time.Duration
	// Samples is how many samples the charts keep (zero means 120: ten
	// minutes at 5 s).
	Samples int
	// Now returns the current time (nil means time.Now); tests inject a
	// clock.
	Now func() time.Time
	// Title names the page (zero means "cachedhttp inspector").
	Title string
	// Logger receives failed deletes and template errors (nil: discard).
	Logger *slog.Logger
}

// Handler is the inspector: an http.Handler serving HTML pages over a
// Cache. Mount it under a prefix with http.StripPrefix; every link it
// writes is relative, so it works under any prefix. Close stops its
// sampler.
type Handler struct {
	cache  Cache
	rec    *Recorder
	opt    Options
	secret []byte
	cop    *http.CrossOriginProtection
	mux    *http.ServeMux
	pages  map[string]*template.Template
	static http.Handler

	mu      sync.Mutex
	samples []sample // oldest first, at most opt.Samples

	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

//go:embed templates/*.html static/*
var files embed.FS

// New returns an inspector over c. With a positive SampleEvery it starts a
// goroutine that samples the counters; Close stops it.
func New(c Cache, opts *Options) (*Handler, error) {
	if c == nil {
		return nil, ErrNilCache
	}
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.PageSize <= 0 {
		o.PageSize = 50
	}
	if o.PreviewBytes <= 0 {
		o.PreviewBytes = 16 << 10
	}
	if o.MaxRecords <= 0 {
		o.MaxRecords = 100_000
	}
	if o.SampleEvery == 0 {
		o.SampleEvery = 5 * time.Second
	}
	if o.Samples <= 1 {
		o.Samples = 120
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Title == "" {
		o.Title = "cachedhttp inspector"
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	h := &Handler{cache: c, rec: o.Recorder, opt: o, cop: http.NewCrossOriginProtection(), stop: make(chan struct{}), done: make(chan struct{})}
	for _, origin := range o.TrustedOrigins {
		if err := h.cop.AddTrustedOrigin(origin); err != nil {
			return nil, fmt.Errorf("inspect: trusted origin %q: %w", origin, err)
		}
	}
	h.secret = o.Secret
	if len(h.secret) == 0 {
		h.secret = make([]byte, 32)
		if _, err := rand.Read(h.secret); err != nil {
			return nil, fmt.Errorf("inspect: secret: %w", err)
		}
	}
	if err := h.parse(); err != nil {
		return nil, err
	}
	static, err := fs.Sub(files, "static")
	if err != nil {
		return nil, fmt.Errorf("inspect: static files: %w", err)
	}
	h.static = http.StripPrefix("/static/", http.FileServerFS(static))

	h.mux = http.NewServeMux()
	h.mux.HandleFunc("GET /{$}", h.entries)
	h.mux.HandleFunc("GET /overview", h.overview)
	h.mux.HandleFunc("GET /record", h.record)
	h.mux.HandleFunc("GET /body", h.body)
	h.mux.Handle("GET /static/", h.static)
	h.mux.HandleFunc("POST /delete", h.deleteKeys)
	h.mux.HandleFunc("POST /purge", h.purge)

	h.sampleIfDue()
	if o.SampleEvery > 0 {
		go h.sampler()
	} else {
		close(h.done)
	}
	return h, nil
}

// Close stops the sampler. The Handler goes on serving pages.
func (h *Handler) Close() error {
	h.closeOnce.Do(func() { close(h.stop) })
	<-h.done
	return nil
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	// Pages hold anti-CSRF tokens and stored responses: no caching,
	// framing, referrers (keys are in URLs) or scripts.
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	if r.URL.Path == "" || r.URL.Path[0] != '/' {
		// Mounted with http.StripPrefix("/prefix/", h): "/prefix/" arrives
		// as "".
		r2 := new(http.Request)
		*r2 = *r
		u := *r.URL
		u.Path = "/" + u.Path
		u.RawPath = ""
		r2.URL = &u
		r = r2
	}
	h.mux.ServeHTTP(w, r)
}

// sampler samples the counters every SampleEvery until Close.
func (h *Handler) sampler() {
	defer close(h.done)
	tick := time.NewTicker(h.opt.SampleEvery)
	defer tick.Stop()
	for {
		select {
		case <-h.stop:
			return
		case <-tick.C:
			h.sampleIfDue()
		}
	}
}
