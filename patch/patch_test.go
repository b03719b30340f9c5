package patch_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/cachedhttp/cachedhttp"
	"github.com/cachedhttp/cachedhttp/patch"
)

func origin(t *testing.T) (*httptest.Server, *atomic.Int64) {
	var hits atomic.Int64
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Cache-Control", "max-age=60")
		io.WriteString(w, "x")
	}))
	t.Cleanup(s.Close)
	return s, &hits
}

func get(t *testing.T, ctx context.Context, url string) {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}

func TestInstallAndRestore(t *testing.T) {
	s, hits := origin(t)
	orig := http.DefaultTransport
	restore, err := patch.Install()
	if err != nil {
		t.Fatal(err)
	}
	if patch.Installed() == nil {
		t.Fatal("Installed() = nil after Install")
	}
	if _, err := patch.Install(); !errors.Is(err, patch.ErrInstalled) {
		t.Fatalf("second Install: %v, want ErrInstalled", err)
	}
	ctx := context.Background()
	get(t, ctx, s.URL)
	get(t, ctx, s.URL)
	if hits.Load() != 1 {
		t.Fatalf("installed cache: origin hits = %d, want 1", hits.Load())
	}
	get(t, cachedhttp.Bypass(ctx), s.URL)
	if hits.Load() != 2 {
		t.Fatal("Bypass context still served from the cache")
	}
	if err := restore(); err != nil {
		t.Fatal(err)
	}
	// The switch stays as http.DefaultTransport (writing it back would
	// race with readers) and now passes straight to the original.
	if patch.Installed() != nil {
		t.Fatal("Installed() != nil after restore")
	}
	if http.DefaultTransport != orig && patch.Target() != orig {
		t.Fatal("DefaultTransport does not lead to the original transport after restore")
	}
	get(t, ctx, s.URL)
	if hits.Load() != 3 {
		t.Fatal("cache still active after restore")
	}
	if err := patch.Uninstall(); err != nil {
		t.Fatalf("Uninstall with nothing installed: %v", err)
	}
}

func TestInstallDoesNotLoop(t *testing.T) {
	s, hits := origin(t)
	// Installing twice in a row (with an uninstall between) must wrap the
	// real transport, never the previous cache.
	for range 2 {
		restore, err := patch.Install()
		if err != nil {
			t.Fatal(err)
		}
		get(t, context.Background(), s.URL)
		restore()
	}
	if hits.Load() != 2 {
		t.Fatalf("hits = %d", hits.Load())
	}
}

// Toggling the cache while other goroutines make requests is race-free
// (run with -race).
func TestConcurrentToggle(t *testing.T) {
	s, _ := origin(t)
	restore, err := patch.Install()
	if err != nil {
		t.Fatal(err)
	}
	defer restore()
	// A client that captured http.DefaultTransport while the cache was
	// installed holds the switch, whose target the toggles change.
	sw := http.DefaultTransport
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := &http.Client{Transport: sw}
			for {
				select {
				case <-stop:
					return
				default:
				}
				resp, err := client.Get(s.URL)
				if err != nil {
					t.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}()
	}
	for range 20 {
		patch.Uninstall()
		if _, err := patch.Install(); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
}

// Toggling never writes http.DefaultTransport after the first Install, so
// goroutines that read it (http.Get, http.DefaultClient) do not race with
// Install and Uninstall (run with -race).
func TestToggleWhileDefaultClientReads(t *testing.T) {
	s, _ := origin(t)
	restore, err := patch.Install() // the first Install may write it
	if err != nil {
		t.Fatal(err)
	}
	restore()
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				resp, err := http.Get(s.URL)
				if err != nil {
					t.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}()
	}
	for range 20 {
		if _, err := patch.Install(); err != nil {
			t.Fatal(err)
		}
		patch.Uninstall()
	}
	close(stop)
	wg.Wait()
}
