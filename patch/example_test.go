package patch_test

import (
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/cachedhttp/cachedhttp"
	"github.com/cachedhttp/cachedhttp/patch"
)

// Install caches every request made through http.DefaultTransport, such as
// http.Get, until restore is called.
func ExampleInstall() {
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=60")
		io.WriteString(w, "slow answer")
	}))
	defer origin.Close()

	restore, err := patch.Install()
	if err != nil {
		log.Fatal(err)
	}
	defer restore()

	for range 2 {
		resp, err := http.Get(origin.URL)
		if err != nil {
			log.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		fmt.Println("from cache:", cachedhttp.Info(resp).FromCache)
	}
	// Output:
	// from cache: false
	// from cache: true
}
