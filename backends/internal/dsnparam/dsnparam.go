package dsnparam

import (
	"context"
	"fmt"
	"io/fs"
	"maps"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cachedhttp/cachedhttp/backends"
)

// durationType is the one int64 kind Parse reads as a Go duration.
var durationType = reflect.TypeFor[time.Duration]()

// modeType is the one uint32 kind Parse reads as an octal permission.
var modeType = reflect.TypeFor[fs.FileMode]()

// Parse sets the fields of the struct opts points to from the parameters
// of q (the last value of a repeated one): the field tagged `dsn:"name"`
// from parameter name. Fields may be strings, bools (as strconv.ParseBool
// reads them), ints and int64s (decimal), time.Durations ("500ms"), and
// os.FileModes (an octal permission from 1 to 0777: "0640" or "640"). A
// parameter no field is tagged with is an error naming those that are;
// store starts the errors.
func Parse(store string, q url.Values, opts any) error {
	v := reflect.ValueOf(opts).Elem()
	fields := map[string]reflect.Value{}
	for i := range v.NumField() {
		if name := v.Type().Field(i).Tag.Get("dsn"); name != "" {
			fields[name] = v.Field(i)
		}
	}
	for name, vals := range q {
		f, ok := fields[name]
		if !ok {
			known := slices.Sorted(maps.Keys(fields))
			return fmt.Errorf("%s: unknown DSN parameter %q (known: %s)", store, name, strings.Join(known, ", "))
		}
		s := vals[len(vals)-1]
		if err := set(f, s); err != nil {
			return fmt.Errorf("%s: DSN parameter %s=%q: %w", store, name, s, err)
		}
	}
	return nil
}

// set parses s into field f.
func set(f reflect.Value, s string) error {
	switch {
	case f.Type() == durationType:
		d, err := time.ParseDuration(s)
		f.SetInt(int64(d))
		return err
	case f.Type() == modeType:
		m, err := parseMode(s)
		f.SetUint(uint64(m))
		return err
	case f.Kind() == reflect.String:
		f.SetString(s)
		return nil
	case f.Kind() == reflect.Bool:
		b, err := strconv.ParseBool(s)
		f.SetBool(b)
		return err
	case f.Kind() == reflect.Int || f.Kind() == reflect.Int64:
		n, err := strconv.ParseInt(s, 10, f.Type().Bits())
		f.SetInt(n)
		return err
	default:
		panic(fmt.Sprintf("dsnparam: cannot set a field of type %s", f.Type()))
	}
}

// parseMode parses an octal permission such as 0640 or 640.
func parseMode(s string) (fs.FileMode, error) {
	n, err := strconv.ParseUint(s, 8, 32)
	if err != nil {
		return 0, err
	}
	if n == 0 || n > 0o777 {
		return 0, fmt.Errorf("mode %s is not a permission between 1 and 0777 (octal)", s)
	}
	return fs.FileMode(n), nil
}

// Path returns the local path u names: its path (scheme:///abs/path, or
// scheme://localhost/abs/path) or its opaque part (scheme:relative/path).
// Another host is an error (scheme://cache.db names a host, not a file), as
// is no path. noun says what the path names ("file", "directory") and
// placeholder stands for it in the examples the errors give ("path",
// "dir").
func Path(u *url.URL, store, noun, placeholder string) (string, error) {
	path := u.Path
	if u.Opaque != "" {
		path = u.Opaque
	}
	if u.Host != "" && u.Host != "localhost" {
		return "", fmt.Errorf("%s: DSN has host %q; write %s:///absolute/%s or %s:relative/%s", store, u.Host, u.Scheme, placeholder, u.Scheme, placeholder)
	}
	if path == "" {
		return "", fmt.Errorf("%s: DSN names no %s; write %s:///absolute/%s", store, noun, u.Scheme, placeholder)
	}
	return path, nil
}

// Local is a store on a local path: how its DSN names the path, and how it
// opens with options O, a struct whose fields the DSN's parameters set
// (see Parse).
type Local[O any, B backends.Backend] struct {
	// Store starts the errors ("bbolt").
	Store string
	// Noun and Placeholder are Path's: what the path names and what stands
	// for it in the examples the errors give.
	Noun, Placeholder string
	// Open opens the store at path with opts.
	Open func(path string, opts *O) (B, error)
}

// Factory returns the backends.Factory of the store: it reads the path and
// the parameters of a DSN, then opens the store.
func (l Local[O, B]) Factory() backends.Factory {
	return func(_ context.Context, u *url.URL) (backends.Backend, error) {
		path, err := Path(u, l.Store, l.Noun, l.Placeholder)
		if err != nil {
			return nil, err
		}
		var opts O
		if err := Parse(l.Store, u.Query(), &opts); err != nil {
			return nil, err
		}
		b, err := l.Open(path, &opts)
		if err != nil {
			return nil, err
		}
		return b, nil
	}
}
