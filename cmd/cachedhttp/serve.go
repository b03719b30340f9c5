package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"time"

	"github.com/cachedhttp/cachedhttp/inspect"
)

// serveCmd serves the web inspector (package inspect) over the cache named
// by -cache until ctx is done (SIGINT, SIGTERM).
func serveCmd(ctx context.Context, _, errOut io.Writer, args []string) error {
	fs := newFlagSet("serve", errOut)
	listen := fs.String("listen", "127.0.0.1:8081", "`address` to serve the inspector on (keep it on loopback: the pages show stored responses)")
	dsn := cacheFlag(fs)
	readOnly := fs.Bool("read-only", false, "show the cache without the delete and purge forms")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usagef("unexpected arguments %q", fs.Args())
	}
	sess, err := open(*dsn)
	if err != nil {
		return err
	}
	// No Recorder: no request goes through this process's cache, and the
	// pages say so; Stats are this process's (zero).
	h, err := inspect.New(sess.Cache, &inspect.Options{ReadOnly: *readOnly})
	if err != nil {
		return errors.Join(err, sess.Close())
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return errors.Join(err, h.Close(), sess.Close())
	}
	errLog := log.New(errOut, "cachedhttp serve: ", log.LstdFlags)
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute, ErrorLog: errLog}
	fmt.Fprintf(errOut, "cachedhttp serve: inspector for %s on http://%s/\n", redact(*dsn), ln.Addr())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return errors.Join(err, h.Close(), sess.Close())
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	err = srv.Shutdown(sctx)
	if serr := <-served; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	return errors.Join(err, h.Close(), sess.Close())
}
