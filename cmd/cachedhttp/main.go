// Command cachedhttp is the command-line face of the cachedhttp library: a
// demonstration, a curl-like client, a caching HTTP proxy for programs that
// are not written in Go, and the maintenance of a cache store.
//
//	cachedhttp demo [--keep]
//	cachedhttp get [--cache DSN] [-X METHOD] [-d DATA]... [-H 'Name: value']... [-o FILE] [-i | -I] [-s] [-f] [-L] [--refresh | --offline] [--max-stale DURATION] [--expire-after DURATION] URL
//	cachedhttp proxy [--listen ADDR] [--cache DSN] [--upstream URL] [--expire-after DURATION] [--rules FILE] [--stale-if-error DURATION] [--metrics ADDR]
//	cachedhttp ls [--cache DSN] [-l]
//	cachedhttp show [--cache DSN] [--body=false] [-H 'Name: value']... KEY|URL
//	cachedhttp stats [--cache DSN]
//	cachedhttp purge [--cache DSN] [--all] [--compact] [--progress]
//	cachedhttp migrate --from DSN --to DSN [--urls FILE] [--progress] [--workers N]
//	cachedhttp serve [--cache DSN] [--listen ADDR] [--read-only]
//	cachedhttp version
//	cachedhttp help [COMMAND]
//
// Flags are GNU style, as curl and most tools take them: they may come
// before or after the arguments, short ones cluster (-sfL) and take
// attached values (-XPOST), long ones are --name VALUE or --name=VALUE, and
// "--" ends the flags. A long flag may also be written with one dash
// (-cache DSN), as Go programs spell them.
//
// demo runs a local origin and shows a miss, a hit, a revalidation (304),
// a stale-if-error answer and a per-URL rule on a temporary bbolt cache.
//
// get fetches a URL through the cache, like curl: the body goes to standard
// output (or -o FILE), the Cache-Status to standard error (-s silences it);
// -i and -I add the status line and header. A URL without a scheme is
// http://. -X sets the method, -d sends a body (POST unless -X; @FILE reads
// a file), -L follows redirects, and -f exits with status 1 on an HTTP
// status of 400 or more. --offline never contacts the origin: it serves
// what is stored, stale or not, with a warning on standard error (or only
// what is stale by less than --max-stale), and answers 504 otherwise.
//
// proxy serves a caching reverse proxy to --upstream or, without it, a
// forward proxy for absolute-form requests (GET http://host/path). CONNECT,
// and so HTTPS through the forward proxy, is refused with 501: a tunnel
// carries TLS end to end and cannot be cached without intercepting it. The
// proxy is a shared cache (RFC 9111 §3.5), adds nothing but Cache-Status
// and Age, connects to origins directly (it ignores HTTP_PROXY), and on
// SIGINT or SIGTERM finishes the requests in flight and flushes the cache.
// Every response carries a Cache-Status, the proxy's own errors included
// (502 or 504 with "cachedhttp; fwd=...; detail=upstream-error" when the
// origin cannot be reached). --expire-after and --rules FILE (lines of
// "GLOB DURATION", DURATION being a Go duration or never, immediately or
// no-cache) set lifetimes, and --stale-if-error serves stale responses when
// the origin fails.
//
// ls lists stored responses with short keys that show accepts; show prints
// one record, named by key, key prefix or URL. stats counts stored
// responses; purge deletes the expired ones and sweeps what the store has
// expired (or, with --all, deletes everything); with --compact it then
// rewrites a bbolt file without its free pages (bbolt.Compact), which no
// other program may have open. These commands, and migrate
// for its source, read an existing cache: they refuse to create a missing
// bbolt file or cache directory, and say which path they looked for.
//
// migrate copies every record from one backend to another with its
// remaining time to live. It copies the encoded bytes, serializer header
// included, so the destination must be read with the serializer parameters
// the source was written with; serializer parameters in --from and --to are
// ignored. With a gregjones/httpcache store as --from (httpcache-disk:DIR,
// httpcache-leveldb:DIR, or httpcache+DSN for a backend written through
// compat/gregjones.Cache), migrate instead converts each stored response
// into a cachedhttp record, encoded with --to's serializer parameters; a
// diskcache keeps only MD5s of its URLs, so --urls FILE lists them.
//
// migrate and purge draw a progress bar on standard error when it is a
// terminal (--progress prints progress lines elsewhere too).
//
// version prints the module version, the Go version and the VCS revision
// the binary was built from.
//
// The --cache DSN names the backend as backends.Open reads it (default
// bbolt:http_cache.db, a file in the working directory): for example
// bbolt:///var/cache/http.db, file:///var/cache/http, memory://,
// redis://127.0.0.1:6379/0, mongodb://..., dynamodb://..., memcache://...
// Serializer parameters (serializer=json, compress=gzip, encrypt_key_env=,
// sign_key_env=) in its query choose how records are encoded. A bbolt file
// is open in one process at a time: while a proxy holds it, other commands
// on it fail after a second; share a cache between processes with file://,
// redis:// or another server backend.
//
// Exit status: 0 on success, 1 on a runtime error (and, with get -f, on an
// HTTP status of 400 or more), 2 on a usage error.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/pflag"
)

// command is one subcommand.
type command struct {
	name     string
	synopsis string // the flags and arguments, after "cachedhttp name"
	summary  string
	run      func(ctx context.Context, out, errOut io.Writer, args []string) error
	notes    string // printed after the flags by -h; "" for none
}

// commands lists the subcommands in the order usage shows them; the package
// comment lists the same synopses (a test keeps them in step).
var commands []command

func init() {
	commands = []command{
		{name: "demo", synopsis: "[--keep]",
			summary: "run a local origin and show miss, hit, revalidation (304), stale-if-error and a per-URL rule",
			run:     func(_ context.Context, out, errOut io.Writer, args []string) error { return demoCmd(out, errOut, args) }},
		{name: "get", synopsis: "[--cache DSN] [-X METHOD] [-d DATA]... [-H 'Name: value']... [-o FILE] [-i | -I] [-s] [-f] [-L] [--refresh | --offline] [--max-stale DURATION] [--expire-after DURATION] URL",
			summary: "fetch a URL through the cache, like curl", run: get, notes: getNotes},
		{name: "proxy", synopsis: "[--listen ADDR] [--cache DSN] [--upstream URL] [--expire-after DURATION] [--rules FILE] [--stale-if-error DURATION] [--metrics ADDR]",
			summary: "serve a caching reverse proxy to URL, or a forward proxy for http:// requests", run: proxyCmd, notes: proxyNotes},
		{name: "ls", synopsis: "[--cache DSN] [-l]",
			summary: "list stored responses", run: ls},
		{name: "show", synopsis: "[--cache DSN] [--body=false] [-H 'Name: value']... KEY|URL",
			summary: "print one stored record: serializer header, status, times, headers and body", run: show},
		{name: "stats", synopsis: "[--cache DSN]",
			summary: "count stored responses and their bytes", run: statsCmd},
		{name: "purge", synopsis: "[--cache DSN] [--all] [--compact] [--progress]",
			summary: "delete expired stored responses (with --all, every one); --compact then shrinks a bbolt file", run: purge},
		{name: "migrate", synopsis: "--from DSN --to DSN [--urls FILE] [--progress] [--workers N]",
			summary: "copy every record from one backend to another, keeping each one's remaining TTL, or import a gregjones/httpcache store", run: migrate},
		{name: "serve", synopsis: "[--cache DSN] [--listen ADDR] [--read-only]",
			summary: "serve a web inspector of the cache (list, filter, view, delete) on 127.0.0.1", run: serveCmd},
		{name: "version", synopsis: "",
			summary: "print the module version, Go version and VCS revision of this binary", run: versionCmd},
		{name: "help", synopsis: "[COMMAND]",
			summary: "print this help, or a command's flags", run: help},
	}
}

// usageLine is "cachedhttp NAME SYNOPSIS".
func (c *command) usageLine() string {
	return strings.TrimSpace("cachedhttp " + c.name + " " + c.synopsis)
}

func lookupCommand(name string) *command {
	for i := range commands {
		if commands[i].name == name {
			return &commands[i]
		}
	}
	return nil
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// After the first signal, a second one ends the process at once
		// instead of waiting for a graceful shutdown.
		<-ctx.Done()
		stop()
	}()
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Exit statuses.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

// run runs the command line args (without the program name) and returns the
// exit status.
func run(ctx context.Context, args []string, out, errOut io.Writer) int {
	if len(args) == 0 {
		usage(errOut)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help":
		usage(out)
		return exitOK
	case "-version", "--version":
		args = append([]string{"version"}, args[1:]...)
	}
	cmd := lookupCommand(args[0])
	if cmd == nil {
		fmt.Fprintf(errOut, "cachedhttp: unknown command %q\n\n", args[0])
		usage(errOut)
		return exitUsage
	}
	err := cmd.run(ctx, out, errOut, args[1:])
	var ue *usageError
	switch {
	case err == nil, errors.Is(err, pflag.ErrHelp):
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(errOut, "cachedhttp %s: %v\nusage: %s\nRun 'cachedhttp help %[1]s' for its flags.\n", cmd.name, ue.err, cmd.usageLine())
		return exitUsage
	default:
		fmt.Fprintf(errOut, "cachedhttp %s: %v\n", cmd.name, err)
		return exitError
	}
}

// usage writes the list of commands.
func usage(w io.Writer) {
	fmt.Fprint(w, "usage: cachedhttp <command> [flags] [arguments]\n\ncommands:\n")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
		fmt.Fprintf(w, "  %-8s   %s\n", "", c.usageLine())
	}
	fmt.Fprintf(w, `
Flags may come before or after the arguments; short flags cluster (-sfL),
long flags take one dash or two (-cache DSN, --cache=DSN).

DSN names a backend as backends.Open reads it; the default is %s
(a bbolt file in the working directory). Examples: bbolt:///var/cache/http.db,
file:///var/cache/http, memory://, redis://127.0.0.1:6379/0. Serializer
parameters in its query (serializer=json, compress=gzip, encrypt_key_env=NAME,
sign_key_env=NAME) choose how records are encoded.

Exit status: 0 on success, 1 on a runtime error (and with get -f, on an HTTP
status of 400 or more), 2 on a usage error.
Run 'cachedhttp help COMMAND' for a command's flags.
`, defaultDSN)
}

// help prints the usage, or one command's flags.
func help(ctx context.Context, out, errOut io.Writer, args []string) error {
	switch len(args) {
	case 0:
		usage(out)
		return nil
	case 1:
		cmd := lookupCommand(args[0])
		if cmd == nil {
			return &usageError{err: fmt.Errorf("unknown command %q", args[0])}
		}
		if cmd.name == "help" {
			usage(out)
			return nil
		}
		// Every command prints its flags to errOut on -h; help asked
		// for them, so they go to out.
		return cmd.run(ctx, out, out, []string{"-h"})
	default:
		return &usageError{err: errors.New("want at most one command name")}
	}
}

// usageError is an error in the command line (exit status 2).
type usageError struct {
	err error
}

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// usagef returns a usage error with a formatted message.
func usagef(format string, args ...any) error {
	return &usageError{err: fmt.Errorf(format, args...)}
}

// noArgs refuses positional arguments after parsing.
func noArgs(fs *pflag.FlagSet) error {
	if fs.NArg() != 0 {
		return usagef("unexpected arguments %q", fs.Args())
	}
	return nil
}
