package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// event is one line of go test -json (cmd/test2json), with the build
// events of Go 1.24 and later (ImportPath, build-output, build-fail).
type event struct {
	Action      string
	Package     string
	Test        string
	Elapsed     float64
	Output      string
	ImportPath  string
	FailedBuild string
}

// testKey names a test (Test empty: the package itself).
type testKey struct{ pkg, test string }

// pkgCounts are one package's results.
type pkgCounts struct{ passed, failed, skipped int }

// summary accumulates a go test -json stream.
type summary struct {
	w        io.Writer
	output   map[testKey][]string // output of tests not finished yet
	build    map[string][]string  // build output by import path
	counts   map[string]*pkgCounts
	failures []failure // in the order they happened
	total    pkgCounts
	pkgFails int // packages that failed without a failed test
}

// failure is a failed test (or package) and its output.
type failure struct {
	key     testKey
	elapsed float64
	output  []string
}

func newSummary(w io.Writer) *summary {
	return &summary{w: w, output: map[testKey][]string{}, build: map[string][]string{}, counts: map[string]*pkgCounts{}}
}

// read consumes the stream; lines that are not JSON events are printed as
// they are.
func (s *summary) read(r io.Reader) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var e event
		if len(line) == 0 || line[0] != '{' || json.Unmarshal(line, &e) != nil {
			fmt.Fprintf(s.w, "%s\n", line)
			continue
		}
		s.add(e)
	}
	return sc.Err()
}

func (s *summary) pkg(name string) *pkgCounts {
	c := s.counts[name]
	if c == nil {
		c = &pkgCounts{}
		s.counts[name] = c
	}
	return c
}

// add takes one event into account.
func (s *summary) add(e event) {
	k := testKey{e.Package, e.Test}
	switch e.Action {
	case "build-output":
		s.build[e.ImportPath] = append(s.build[e.ImportPath], e.Output)
	case "output":
		s.output[k] = append(s.output[k], e.Output)
	case "pass", "skip", "fail":
		if e.Test == "" {
			s.endPackage(e)
			return
		}
		c := s.pkg(e.Package)
		switch e.Action {
		case "pass":
			c.passed++
			s.total.passed++
		case "skip":
			c.skipped++
			s.total.skipped++
		case "fail":
			c.failed++
			s.total.failed++
			s.failures = append(s.failures, failure{key: k, elapsed: e.Elapsed, output: s.output[k]})
		}
		delete(s.output, k)
	}
}

// endPackage prints the package's line; a package that failed without a
// failed test is a failure of its own, with the package's output.
func (s *summary) endPackage(e event) {
	k := testKey{e.Package, ""}
	c := s.pkg(e.Package)
	out := s.output[k]
	delete(s.output, k)
	switch {
	case e.Action == "fail" && c.failed == 0:
		s.pkgFails++
		if e.FailedBuild != "" {
			out = append(slices.Clone(s.build[e.FailedBuild]), out...)
		}
		// Output of tests that never finished (a panic, a timeout)
		// belongs to the package's failure.
		for tk, o := range s.output {
			if tk.pkg == e.Package {
				out = append(out, o...)
				delete(s.output, tk)
			}
		}
		s.failures = append(s.failures, failure{key: k, elapsed: e.Elapsed, output: out})
		fmt.Fprintf(s.w, "FAIL %s (%s)\n", e.Package, seconds(e.Elapsed))
	case e.Action == "fail":
		fmt.Fprintf(s.w, "FAIL %s (%s): %s\n", e.Package, seconds(e.Elapsed), c)
	case c.passed+c.failed+c.skipped == 0:
		// No tests: nothing worth a line.
	default:
		fmt.Fprintf(s.w, "ok   %s (%s): %s\n", e.Package, seconds(e.Elapsed), c)
	}
}

func (c *pkgCounts) String() string {
	return fmt.Sprintf("%d passed, %d failed, %d skipped", c.passed, c.failed, c.skipped)
}

func seconds(f float64) string {
	return (time.Duration(f * float64(time.Second))).Round(10 * time.Millisecond).String()
}

// framing reports whether an output line is test2json framing that says
// nothing a failure report needs.
func framing(line string) bool {
	for _, p := range []string{"=== RUN", "=== PAUSE", "=== CONT", "=== NAME"} {
		if strings.HasPrefix(line, p) {
			return true
		}
	}
	return false
}

// finish prints the failures' output and the closing line.
func (s *summary) finish(label string) {
	for _, f := range s.failures {
		var lines []string
		only := true // only "--- FAIL" lines: a parent of failed subtests
		for _, l := range f.output {
			if framing(l) {
				continue
			}
			lines = append(lines, l)
			if !strings.HasPrefix(strings.TrimSpace(l), "--- FAIL") {
				only = false
			}
		}
		if only && f.key.test != "" {
			continue
		}
		name := f.key.pkg
		if f.key.test != "" {
			name += " " + f.key.test
		}
		fmt.Fprintf(s.w, "\n=== FAIL: %s (%s)\n", name, seconds(f.elapsed))
		for _, l := range lines {
			io.WriteString(s.w, l)
			if !strings.HasSuffix(l, "\n") {
				io.WriteString(s.w, "\n")
			}
		}
	}
	if len(s.failures) > 0 {
		fmt.Fprintln(s.w)
	}
	prefix := ""
	if label != "" {
		prefix = label + ": "
	}
	t := s.total
	t.failed += s.pkgFails
	fmt.Fprintf(s.w, "%s%s\n", prefix, &t)
}

// failed reports whether any test or package failed.
func (s *summary) failed() bool { return s.total.failed > 0 || s.pkgFails > 0 }
