package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// testdata/mixed.jsonl is real go test -json output of a module with a
// passing, a skipped and a failing test with subtests (package a), a build
// failure (b), a panic (c) and a package without tests (d).
func TestSummary(t *testing.T) {
	in, err := os.Open("testdata/mixed.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	var out bytes.Buffer
	s := newSummary(&out)
	if err := s.read(in); err != nil {
		t.Fatal(err)
	}
	s.finish("root")
	got := out.String()
	lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
	if last := lines[len(lines)-1]; last != "root: 3 passed, 4 failed, 1 skipped" {
		t.Errorf("closing line %q", last)
	}
	if !s.failed() {
		t.Error("failed() is false")
	}
	for _, want := range []string{
		"FAIL example.com/ts/a (10ms): 2 passed, 2 failed, 1 skipped\n",
		"FAIL example.com/ts/b (0s)\n",
		"=== FAIL: example.com/ts/a TestFail/bad (0s)\n    a_test.go:9: want 1, got 2\n",
		"=== FAIL: example.com/ts/b (0s)\n# example.com/ts/b [example.com/ts/b.test]\nb/b.go:3:23: cannot use",
		"=== FAIL: example.com/ts/c TestPanic (0s)\n--- FAIL: TestPanic (0.00s)\npanic: assignment to entry in nil map",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	for _, unwanted := range []string{"=== FAIL: example.com/ts/a TestFail (", "=== RUN", "example.com/ts/d", "fine"} {
		if strings.Contains(got, unwanted) {
			t.Errorf("output has %q:\n%s", unwanted, got)
		}
	}
}

func TestSummaryAllPassed(t *testing.T) {
	in := `{"Action":"start","Package":"p"}
{"Action":"run","Package":"p","Test":"TestA"}
{"Action":"output","Package":"p","Test":"TestA","Output":"=== RUN   TestA\n"}
{"Action":"pass","Package":"p","Test":"TestA","Elapsed":0.5}
{"Action":"output","Package":"p","Output":"ok  \tp\t0.5s\n"}
{"Action":"pass","Package":"p","Elapsed":0.6}
not json: printed as it is
`
	var out bytes.Buffer
	s := newSummary(&out)
	if err := s.read(strings.NewReader(in)); err != nil {
		t.Fatal(err)
	}
	s.finish("")
	want := "ok   p (600ms): 1 passed, 0 failed, 0 skipped\nnot json: printed as it is\n1 passed, 0 failed, 0 skipped\n"
	if out.String() != want || s.failed() {
		t.Errorf("got\n%q, want\n%q (failed %v)", out.String(), want, s.failed())
	}
}

func FuzzSummary(f *testing.F) {
	if b, err := os.ReadFile("testdata/mixed.jsonl"); err == nil {
		f.Add(string(b))
	}
	f.Add(`{"Action":"fail","Package":"p","FailedBuild":"p"}`)
	f.Fuzz(func(t *testing.T, in string) {
		var out bytes.Buffer
		s := newSummary(&out)
		if err := s.read(strings.NewReader(in)); err != nil {
			return
		}
		s.finish("x")
		if !strings.HasSuffix(out.String(), " skipped\n") {
			t.Fatalf("no closing line:\n%s", out.String())
		}
	})
}
