package main

import (
	"bytes"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

// version prints the module version, the Go version and, when the build
// recorded one, the VCS revision (issue 12: there was no version command).
func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		r := mustRun(t, args...)
		for _, want := range []string{"cachedhttp ", "module:    github.com/cachedhttp/cachedhttp", "go:        " + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH} {
			if !strings.Contains(r.out, want) {
				t.Errorf("%q lacks %q:\n%s", args, want, r.out)
			}
		}
	}
	if r := runCmd(t, "version", "extra"); r.code != exitUsage {
		t.Errorf("version extra: status %d", r.code)
	}

	var b bytes.Buffer
	writeVersion(&b, &debug.BuildInfo{
		Main: debug.Module{Path: "github.com/cachedhttp/cachedhttp", Version: "v1.2.3"},
		Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "0ca87f0aa"}, {Key: "vcs.time", Value: "2026-05-01T10:00:00Z"}, {Key: "vcs.modified", Value: "true"},
		},
	})
	want := "cachedhttp v1.2.3\nmodule:    github.com/cachedhttp/cachedhttp\ngo:        " + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH +
		"\nrevision:  0ca87f0aa (2026-05-01T10:00:00Z, modified)\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
	b.Reset()
	writeVersion(&b, nil)
	if !strings.HasPrefix(b.String(), "cachedhttp (unknown)\n") || strings.Contains(b.String(), "revision") {
		t.Errorf("without build info:\n%s", b.String())
	}
}
