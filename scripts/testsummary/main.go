// Command testsummary reads the JSON stream of go test -json on standard
// input and prints what a person wants from it: one line per package as it
// finishes, the output of every failed test (and of every package that
// failed without a failed test: a build failure, a panic in TestMain, a
// timeout) once all are done, and a closing line
//
//	LABEL: N passed, N failed, N skipped
//
// which CI recognises. Tests are counted with their subtests, as
// gotestsum counts them. It exits with status 1 when anything failed, so
// that a pipe with pipefail keeps go test's verdict.
//
//	go test -json -race ./... | go run ./scripts/testsummary -label root
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	label := flag.String("label", "", "word printed before the closing line (e.g. root)")
	flag.Parse()
	s := newSummary(os.Stdout)
	if err := s.read(os.Stdin); err != nil {
		fmt.Fprintln(os.Stderr, "testsummary:", err)
		os.Exit(2)
	}
	s.finish(*label)
	if s.failed() {
		os.Exit(1)
	}
}
