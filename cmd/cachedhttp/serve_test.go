package main

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// serve mounts the web inspector over the cache on 127.0.0.1; its listing
// works without JavaScript and shows what get stored.
func TestServeInspector(t *testing.T) {
	o := newOrigin(t, cacheable("x"))
	dsn := tempDSN(t)
	mustRun(t, "get", "--cache", dsn, o.URL+"/inspected")
	ctx, cancel := context.WithCancel(context.Background())
	log := &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- serveCmd(ctx, nil, log, []string{"--cache", dsn, "--listen", "127.0.0.1:0"}) }()
	var base string
	for deadline := time.Now().Add(10 * time.Second); base == ""; {
		if m := regexp.MustCompile(`on (http://\S+)/`).FindStringSubmatch(log.String()); m != nil {
			base = m[1]
		} else if time.Now().After(deadline) {
			t.Fatalf("serve did not start:\n%s", log)
		} else {
			time.Sleep(10 * time.Millisecond)
		}
	}
	resp, body := fetch(t, http.DefaultClient, base+"/")
	if resp.StatusCode != 200 || !strings.Contains(body, "/inspected") {
		t.Fatalf("inspector page: %d\n%s", resp.StatusCode, body)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
