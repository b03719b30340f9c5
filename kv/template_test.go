package kv_test

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/cachedhttp/cachedhttp/kv"
)

type level int

func (l level) String() string { return [...]string{"low", "high"}[l] }

type base struct{ Tenant string }

type request struct {
	base
	ID     int64
	Path   string
	Secure bool
	Ratio  float64
	Level  level
	At     time.Time
	Addr   netip.Addr
	Owner  *user
	Inner  struct{ Code uint16 }
	//lint:ignore U1000 an unexported field templates cannot name
	hidden string
	Tags   []string
}

func TestTemplate(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	r := request{
		base: base{Tenant: "acme"}, ID: -3, Path: "/a b", Secure: true, Ratio: 0.25, Level: 1, At: at,
		Addr: netip.MustParseAddr("10.0.0.1"), Owner: &user{ID: 9, Name: "Ada"},
	}
	r.Inner.Code = 404
	tests := []struct {
		tmpl, want string
	}{
		{"plain", "plain"},
		{"", ""},
		{"{ID}", "-3"},
		{"req:{ID}:{Path}", "req:-3:/a b"},
		{"{Secure}/{Ratio}", "true/0.25"},
		{"{Level}", "high"},                       // fmt.Stringer
		{"{At}", "2026-01-02T03:04:05Z"},          // encoding.TextMarshaler first
		{"{Addr}", "10.0.0.1"},                    // TextMarshaler with a value receiver
		{"{Owner.ID}-{Owner.Name}", "9-Ada"},      // through a pointer
		{"{Inner.Code}", "404"},                   // nested struct
		{"{Tenant}", "acme"},                      // promoted from an embedded struct
		{"{{literal}} {ID} }}", "{literal} -3 }"}, // escaped braces
	}
	for _, tt := range tests {
		tp, err := kv.ParseTemplate[request](tt.tmpl)
		if err != nil {
			t.Errorf("ParseTemplate(%q): %v", tt.tmpl, err)
			continue
		}
		got, err := tp.Key(r)
		if err != nil || got != tt.want {
			t.Errorf("template %q = %q, %v; want %q", tt.tmpl, got, err, tt.want)
		}
		if tp.String() != tt.tmpl {
			t.Errorf("String() = %q; want %q", tp.String(), tt.tmpl)
		}
	}
	if _, err := mustTemplate[request](t, "{Owner.Name}").Key(request{}); !errors.Is(err, kv.ErrBadTemplate) || !strings.Contains(err.Error(), "nil pointer") {
		t.Errorf("Key through a nil pointer = %v; want ErrBadTemplate about a nil pointer", err)
	}
	// The whole argument: {}.
	if got, err := mustTemplate[int](t, "n:{}").Key(12); got != "n:12" || err != nil {
		t.Errorf("{} of an int = %q, %v", got, err)
	}
	if got, err := mustTemplate[*user](t, "u:{ID}").Key(&user{ID: 4}); got != "u:4" || err != nil {
		t.Errorf("field of a pointer argument = %q, %v", got, err)
	}
	if _, err := mustTemplate[*user](t, "u:{ID}").Key(nil); !errors.Is(err, kv.ErrBadTemplate) {
		t.Errorf("field of a nil pointer argument = %v; want ErrBadTemplate", err)
	}
}

func mustTemplate[K any](t *testing.T, s string) *kv.Template[K] {
	t.Helper()
	tp, err := kv.ParseTemplate[K](s)
	if err != nil {
		t.Fatalf("ParseTemplate(%q): %v", s, err)
	}
	return tp
}

func TestTemplateErrors(t *testing.T) {
	bad := map[string]string{
		"{Missing}":      "no exported field Missing",
		"{hidden}":       "no exported field hidden",
		"{Tags}":         "which a key cannot hold",
		"{Inner}":        "which a key cannot hold",
		"{Owner.Nope}":   "no exported field Nope",
		"{ID.X}":         "is not a struct",
		"{Owner..ID}":    "not a field path",
		"{ ID}":          "not a field path",
		"{}":             "which a key cannot hold",
		"open {ID":       "is not closed",
		"close } here":   "closes nothing",
		"{{ID}":          "closes nothing",
		"{Owner.ID}}{}":  "closes nothing",
		"tail {ID}{Pa":   "is not closed",
		"{Owner.Name.X}": "is not a struct",
	}
	for tmpl, want := range bad {
		_, err := kv.ParseTemplate[request](tmpl)
		if !errors.Is(err, kv.ErrBadTemplate) || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseTemplate(%q) = %v; want ErrBadTemplate saying %q", tmpl, err, want)
		}
	}
	if _, err := kv.ParseTemplate[any]("{}"); !errors.Is(err, kv.ErrBadTemplate) {
		t.Errorf("{} of an interface = %v; want ErrBadTemplate (nothing to check statically)", err)
	}
}

// fuzzArg is the argument type of the fuzz target: every kind of field a
// template can reach.
type fuzzArg struct {
	base
	ID    int
	Name  string
	Owner *user
	Inner struct{ Code uint16 }
	At    time.Time
}

// FuzzParseTemplate checks that ParseTemplate never panics, that a template
// it accepts renders (or reports a nil pointer) without panicking, and that
// a template without placeholders renders to its text with the escapes
// undone.
func FuzzParseTemplate(f *testing.F) {
	for _, s := range []string{
		"", "plain", "{ID}", "user:{ID}:{Name}", "{{", "}}", "{{ID}}", "{Owner.Name}", "{Inner.Code}",
		"{Tenant}", "{At}", "{", "}", "{}", "{Owner.}", "{.ID}", "a{{b}}c{ID}", "{ID}{Name}{Owner.ID}",
	} {
		f.Add(s)
	}
	full := fuzzArg{ID: 1, Name: "n", Owner: &user{ID: 2, Name: "o"}, At: time.Unix(0, 0).UTC()}
	full.Tenant = "t"
	full.Inner.Code = 3
	f.Fuzz(func(t *testing.T, s string) {
		tp, err := kv.ParseTemplate[fuzzArg](s)
		if err != nil {
			if !errors.Is(err, kv.ErrBadTemplate) {
				t.Fatalf("ParseTemplate(%q) = %v; want an error matching ErrBadTemplate", s, err)
			}
			return
		}
		key, err := tp.Key(full)
		if err != nil {
			t.Fatalf("Key of a complete argument for %q: %v", s, err)
		}
		if _, err := tp.Key(fuzzArg{}); err != nil && !errors.Is(err, kv.ErrBadTemplate) {
			t.Fatalf("Key of a zero argument for %q = %v; want nil or ErrBadTemplate", s, err)
		}
		if !strings.ContainsAny(strings.ReplaceAll(strings.ReplaceAll(s, "{{", ""), "}}", ""), "{}") {
			want := strings.ReplaceAll(strings.ReplaceAll(s, "{{", "{"), "}}", "}")
			if key != want {
				t.Fatalf("template %q without placeholders rendered %q; want %q", s, key, want)
			}
		}
	})
}
