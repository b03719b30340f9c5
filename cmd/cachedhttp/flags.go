package main

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/spf13/pflag"
)

// Flags are parsed by spf13/pflag, the GNU-style parser of kubectl, gh and
// every cobra program: flags may come before or after the arguments, short
// flags cluster (-sSL) and take attached values (-XPOST), long flags are
// --name or --name=value, and "--" ends the flags. Long flags written with
// one dash, as the standard flag package and earlier versions of this
// command spell them (-cache DSN, -offline), are accepted as well.

// newFlagSet returns a flag set for the command name that writes its usage
// to errOut on -h.
func newFlagSet(name string, errOut io.Writer) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetOutput(errOut)
	fs.SortFlags = false
	fs.Usage = func() {
		c := lookupCommand(name)
		fmt.Fprintf(fs.Output(), "usage: %s\n\n%s.\n", c.usageLine(), c.summary)
		if flags := fs.FlagUsages(); flags != "" {
			fmt.Fprintf(fs.Output(), "\nflags:\n%s", flags)
		}
		if c.notes != "" {
			fmt.Fprintf(fs.Output(), "\n%s", c.notes)
		}
	}
	return fs
}

// parseFlags parses args into fs; -h and --help are pflag.ErrHelp (exit 0,
// after the usage is printed), other errors are usage errors.
func parseFlags(fs *pflag.FlagSet, args []string) error {
	err := fs.Parse(longFlagsWithOneDash(fs, args))
	if err == nil || errors.Is(err, pflag.ErrHelp) {
		return err
	}
	return &usageError{err: err}
}

// longFlagsWithOneDash rewrites "-name" and "-name=value", where name is a
// long flag of fs of two letters or more, to "--name" and "--name=value",
// so that Go-style command lines keep working. Any other single-dash word
// is a cluster of short flags, unless its first letter is no short flag of
// fs: then it is rewritten too, so that the error names the whole word. The
// values of flags are left alone, as is everything after "--".
func longFlagsWithOneDash(fs *pflag.FlagSet, args []string) []string {
	out := make([]string, 0, len(args))
	takesValue := func(f *pflag.Flag) bool { return f != nil && f.NoOptDefVal == "" }
	for i := 0; i < len(args); i++ {
		a := args[i]
		out = append(out, a)
		switch {
		case a == "--":
			return append(out, args[i+1:]...)
		case strings.HasPrefix(a, "--"):
			name, _, hasValue := strings.Cut(a[2:], "=")
			if !hasValue && takesValue(fs.Lookup(name)) && i+1 < len(args) {
				i++
				out = append(out, args[i])
			}
		case len(a) > 2 && a[0] == '-':
			name, _, hasValue := strings.Cut(a[1:], "=")
			if f := fs.Lookup(name); (f != nil && len(name) > 1) || fs.ShorthandLookup(a[1:2]) == nil {
				out[len(out)-1] = "-" + a
				if !hasValue && takesValue(f) && i+1 < len(args) {
					i++
					out = append(out, args[i])
				}
				continue
			}
			// A cluster of short flags: the first one that takes a value
			// takes the rest of the word, or the next argument.
			for j := 1; j < len(a); j++ {
				f := fs.ShorthandLookup(a[j : j+1])
				if f == nil || !takesValue(f) {
					continue
				}
				if j == len(a)-1 && i+1 < len(args) {
					i++
					out = append(out, args[i])
				}
				break
			}
		case len(a) == 2 && a[0] == '-' && a[1] != '-':
			if takesValue(fs.ShorthandLookup(a[1:])) && i+1 < len(args) {
				i++
				out = append(out, args[i])
			}
		}
	}
	return out
}

// headerFlags collects repeated -H 'Name: value' flags.
type headerFlags []string

func (h *headerFlags) String() string     { return strings.Join(*h, ", ") }
func (h *headerFlags) Set(v string) error { *h = append(*h, v); return nil }
func (h *headerFlags) Type() string       { return "'Name: value'" }

// header returns the flags as a header; a value without a colon is a usage
// error.
func (h headerFlags) header() (http.Header, error) {
	hdr := make(http.Header)
	for _, f := range h {
		k, v, ok := strings.Cut(f, ":")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, usagef("header %q: want 'Name: value'", f)
		}
		hdr.Add(k, strings.TrimSpace(v))
	}
	return hdr, nil
}
