// Command cachedhttp is the command-line face of the cachedhttp library.
//
//	cachedhttp demo              show miss, hit, revalidation, stale-if-error and a per-URL rule
//	cachedhttp get [flags] URL   fetch a URL through the cache, like curl
//	cachedhttp ls [flags]        list stored responses
//	cachedhttp stats [flags]     count stored responses and bytes
//	cachedhttp purge [flags]     delete expired (or, with -all, every) stored response
//
// Every command but demo takes -cache DSN (default bbolt://./http_cache.db).
package main

import (
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "demo":
		err = demo(os.Stdout, os.Args[2:])
	case "get":
		err = get(os.Stdout, os.Stderr, os.Args[2:])
	case "ls":
		err = ls(os.Stdout, os.Args[2:])
	case "stats":
		err = statsCmd(os.Stdout, os.Args[2:])
	case "purge":
		err = purge(os.Stdout, os.Args[2:])
	case "help", "-h", "--help":
		usage()
		return
	default:
		fmt.Fprintf(os.Stderr, "cachedhttp: unknown command %q\n", os.Args[1])
		usage()
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "cachedhttp:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprint(os.Stderr, `usage: cachedhttp <command> [flags]

commands:
  demo    run a local origin and show miss, hit, revalidation (304),
          stale-if-error and a per-URL rule on the embedded bbolt cache
  get     fetch a URL through the cache (curl-like): cachedhttp get [-cache DSN] [-i] [-H 'K: V'] URL
  ls      list stored responses: cachedhttp ls [-cache DSN]
  stats   count stored responses: cachedhttp stats [-cache DSN]
  purge   delete expired responses (-all: everything): cachedhttp purge [-cache DSN] [-all]
`)
}
