package dsnparam_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/backends/internal/dsnparam"
	"github.com/cachedhttp/cachedhttp/backends/null"
)

// options has a field of every kind Parse sets, and one it must leave
// alone.
type options struct {
	Name     string        `dsn:"name"`
	Sync     bool          `dsn:"sync"`
	Max      int           `dsn:"max"`
	MaxBytes int64         `dsn:"max_bytes"`
	Timeout  time.Duration `dsn:"timeout"`
	Mode     os.FileMode   `dsn:"mode"`
	Internal int
}

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		query   string
		want    options
		wantErr string // substring; "" means success
	}{
		{"no parameters", "", options{}, ""},
		{"every kind", "name=a%20b&sync=true&max=3&max_bytes=1099511627776&timeout=1.5s&mode=0640",
			options{Name: "a b", Sync: true, Max: 3, MaxBytes: 1 << 40, Timeout: 1500 * time.Millisecond, Mode: 0o640}, ""},
		{"a mode without its leading zero is octal too", "mode=660", options{Mode: 0o660}, ""},
		{"the last of a repeated parameter counts", "max=1&max=2", options{Max: 2}, ""},
		{"an unknown parameter names the known ones", "size=1", options{}, `test: unknown DSN parameter "size" (known: max, max_bytes, mode, name, sync, timeout)`},
		{"an untagged field is no parameter", "Internal=1", options{}, `unknown DSN parameter "Internal"`},
		{"a bad bool", "sync=maybe", options{}, `test: DSN parameter sync="maybe"`},
		{"a bad number", "max=many", options{}, `DSN parameter max="many"`},
		{"a duration without unit", "timeout=5", options{}, `DSN parameter timeout="5"`},
		{"a mode that is not octal", "mode=0689", options{}, `DSN parameter mode="0689"`},
		{"a mode of no permission", "mode=0", options{}, "not a permission"},
		{"a mode beyond the permission bits", "mode=1777", options{}, "not a permission"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := url.ParseQuery(tt.query)
			if err != nil {
				t.Fatal(err)
			}
			var got options
			err = dsnparam.Parse("test", q, &got)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Parse(%q) = %v; want an error containing %q", tt.query, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("Parse(%q) = %+v, %v; want %+v", tt.query, got, err, tt.want)
			}
		})
	}
}

func TestPath(t *testing.T) {
	tests := []struct {
		dsn     string
		want    string
		wantErr string
	}{
		{"bbolt:///var/cache/c.db", "/var/cache/c.db", ""},
		{"bbolt://localhost/var/cache/c.db", "/var/cache/c.db", ""},
		{"bbolt:rel/c.db", "rel/c.db", ""},
		{"bbolt://c.db", "", `test: DSN has host "c.db"; write bbolt:///absolute/path or bbolt:relative/path`},
		{"bbolt://", "", "test: DSN names no file; write bbolt:///absolute/path"},
	}
	for _, tt := range tests {
		u, err := url.Parse(tt.dsn)
		if err != nil {
			t.Fatal(err)
		}
		got, err := dsnparam.Path(u, "test", "file", "path")
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("Path(%q) = %q, %v; want the error %q", tt.dsn, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("Path(%q) = %q, %v; want %q", tt.dsn, got, err, tt.want)
		}
	}
}

func TestLocalFactory(t *testing.T) {
	var gotPath string
	var gotOpts options
	failed := errors.New("cannot open")
	open := dsnparam.Local[options, *null.Backend]{Store: "test", Noun: "file", Placeholder: "path",
		Open: func(path string, opts *options) (*null.Backend, error) {
			gotPath, gotOpts = path, *opts
			if opts.Name == "fail" {
				return nil, failed
			}
			return null.New(), nil
		}}.Factory()
	u, _ := url.Parse("test:///a/b?max=7")
	b, err := open(context.Background(), u)
	if err != nil || b == nil || gotPath != "/a/b" || gotOpts.Max != 7 {
		t.Fatalf("factory = %v, %v with path %q opts %+v", b, err, gotPath, gotOpts)
	}
	u, _ = url.Parse("test:///a/b?name=fail")
	if b, err := open(context.Background(), u); !errors.Is(err, failed) || b != nil {
		t.Errorf("factory of a store that fails = %v, %v; want a nil Backend (not a typed nil) and the error", b, err)
	}
	for _, dsn := range []string{"test://host/x", "test:///x?bogus=1"} {
		u, _ = url.Parse(dsn)
		if _, err := open(context.Background(), u); err == nil {
			t.Errorf("factory(%q) succeeded; want an error", dsn)
		}
	}
}

// FuzzParse checks that Parse never panics and either sets the options or
// says which parameter it could not read.
func FuzzParse(f *testing.F) {
	f.Add("name=x&sync=1&max=-3&max_bytes=9&timeout=1h")
	f.Add("timeout=9223372036854775807ns&max=99999999999999999999")
	f.Add("%zz=1&=&sync")
	f.Fuzz(func(t *testing.T, query string) {
		q, err := url.ParseQuery(query)
		if err != nil {
			return
		}
		var o options
		if err := dsnparam.Parse("test", q, &o); err != nil && !strings.Contains(err.Error(), "DSN parameter") {
			t.Fatalf("Parse(%q) error %q does not name the parameter", query, err)
		}
		if o.Internal != 0 {
			t.Fatalf("Parse(%q) set an untagged field", query)
		}
	})
}

// A store's options name their DSN parameters in tags.
func ExampleParse() {
	var opts struct {
		MaxBytes int64         `dsn:"max_bytes"`
		Timeout  time.Duration `dsn:"timeout"`
	}
	u, _ := url.Parse("bbolt:///var/cache/http.db?max_bytes=1048576&timeout=2s")
	err := dsnparam.Parse("bbolt", u.Query(), &opts)
	fmt.Println(opts.MaxBytes, opts.Timeout, err)
	u, _ = url.Parse("bbolt:///var/cache/http.db?size=1")
	fmt.Println(dsnparam.Parse("bbolt", u.Query(), &opts))
	// Output:
	// 1048576 2s <nil>
	// bbolt: unknown DSN parameter "size" (known: max_bytes, timeout)
}

var _ backends.Factory = dsnparam.Local[options, *null.Backend]{}.Factory()
