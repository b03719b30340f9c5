// Package patch installs a cachedhttp cache as http.DefaultTransport, so that
// every client that uses the default transport (http.Get, http.DefaultClient,
// and libraries that do not take a client) is cached, and restores the
// original afterwards.
//
// The first Install replaces http.DefaultTransport with a stable switch, the
// one write of that variable the package makes: call it before other
// goroutines send requests (in main or an init function). After that,
// Install and Uninstall only swap the switch's target atomically and never
// write http.DefaultTransport again, so enabling and disabling the cache
// never races with requests in flight in other goroutines. To leave the cache
// out for some requests, use cachedhttp.Bypass on their context.
package patch

import (
	"errors"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/cachedhttp/cachedhttp"
)

// ErrInstalled is returned by Install when a cache is already installed.
var ErrInstalled = errors.New("patch: a cache is already installed; call Uninstall or its restore function first")

// switchTransport is what http.DefaultTransport points to once Install ran.
type switchTransport struct {
	target atomic.Pointer[http.RoundTripper]
}

func (s *switchTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	return (*s.target.Load()).RoundTrip(req)
}

var (
	mu        sync.Mutex
	sw        *switchTransport
	original  http.RoundTripper // the default transport before the switch
	installed *cachedhttp.Transport
)

// Install creates a caching Transport from opts (wrapping the current
// http.DefaultTransport unless opts set another one) and makes it the
// process's default transport. The returned restore function (the same as
// Uninstall) closes the cache and restores the original transport.
func Install(opts ...cachedhttp.Option) (restore func() error, err error) {
	mu.Lock()
	defer mu.Unlock()
	if installed != nil {
		return nil, ErrInstalled
	}
	if sw == nil || http.DefaultTransport != http.RoundTripper(sw) {
		original = http.DefaultTransport
	}
	all := append([]cachedhttp.Option{cachedhttp.WithTransport(original)}, opts...)
	t, err := cachedhttp.NewTransport(all...)
	if err != nil {
		return nil, err
	}
	if sw == nil {
		sw = &switchTransport{}
	}
	var rt http.RoundTripper = t
	sw.target.Store(&rt)
	if http.DefaultTransport != http.RoundTripper(sw) {
		http.DefaultTransport = sw
	}
	installed = t
	return Uninstall, nil
}

// Target returns the transport the default transport leads to now: the
// installed cache, or the transport that was the default before Install
// (nil before the first Install).
func Target() http.RoundTripper {
	mu.Lock()
	defer mu.Unlock()
	if sw == nil {
		return nil
	}
	return *sw.target.Load()
}

// Installed returns the installed cache, or nil.
func Installed() *cachedhttp.Transport {
	mu.Lock()
	defer mu.Unlock()
	return installed
}

// Uninstall restores the transport that was the default before Install and
// closes the cache (flushing pending writes). It is a no-op when nothing is
// installed. Requests already in flight through the cache finish normally.
func Uninstall() error {
	mu.Lock()
	defer mu.Unlock()
	if installed == nil {
		return nil
	}
	// The switch stays in place, now passing straight to the original
	// transport: writing http.DefaultTransport back would race with
	// goroutines reading it.
	rt := original
	sw.target.Store(&rt)
	t := installed
	installed = nil
	return t.Close()
}
