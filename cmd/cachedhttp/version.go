package main

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// versionCmd prints what the binary was built from.
func versionCmd(_ context.Context, out, errOut io.Writer, args []string) error {
	fs := newFlagSet("version", errOut)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		bi = nil
	}
	writeVersion(out, bi)
	return nil
}

// writeVersion writes the module version, the Go version and platform, and
// the VCS revision (with its time, and "modified" for a dirty tree) when
// the build recorded one (go build in a checkout does; go run and go test
// do not). bi may be nil: a binary built without module support.
func writeVersion(w io.Writer, bi *debug.BuildInfo) {
	version, module := "(unknown)", "github.com/cachedhttp/cachedhttp"
	var rev, at, modified string
	if bi != nil {
		if bi.Main.Path != "" {
			module = bi.Main.Path
		}
		if bi.Main.Version != "" {
			version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.time":
				at = s.Value
			case "vcs.modified":
				if s.Value == "true" {
					modified = ", modified"
				}
			}
		}
	}
	fmt.Fprintf(w, "cachedhttp %s\n", version)
	fmt.Fprintf(w, "module:    %s\n", module)
	fmt.Fprintf(w, "go:        %s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	switch {
	case rev != "" && at != "":
		fmt.Fprintf(w, "revision:  %s (%s%s)\n", rev, at, modified)
	case rev != "":
		fmt.Fprintf(w, "revision:  %s%s\n", rev, modified)
	}
}
