package main

import (
	"encoding/json"
	"errors"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/cachedhttp/cachedhttp/backends"
)

// mainArgsEnv, when set in the environment of the test binary, makes it run
// main with the JSON-encoded arguments instead of the tests: the tests run
// the real command, exit status and signals included, in a subprocess.
const mainArgsEnv = "CACHEDHTTP_TEST_MAIN_ARGS"

func TestMain(m *testing.M) {
	if a := os.Getenv(mainArgsEnv); a != "" {
		var args []string
		if err := json.Unmarshal([]byte(a), &args); err != nil {
			panic(err)
		}
		os.Args = append([]string{"cachedhttp"}, args...)
		main()
		panic("main returned")
	}
	os.Exit(m.Run())
}

// mainCommand returns the command line args as a subprocess running main.
func mainCommand(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	a, err := json.Marshal(args)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), mainArgsEnv+"="+string(a))
	return cmd
}

func TestMainExitStatus(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want int
	}{
		{[]string{"help"}, exitOK},
		{nil, exitUsage},
		{[]string{"ls", "-bogus"}, exitUsage},
		{[]string{"ls", "-cache", "nosuch://"}, exitError},
	} {
		out, err := mainCommand(t, tt.args...).CombinedOutput()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if code != tt.want {
			t.Errorf("cachedhttp %q: exit status %d, want %d\n%s", tt.args, code, tt.want, out)
		}
	}
}

func TestUsageListsEveryCommand(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"-h"}, {"--help"}} {
		r := runCmd(t, args...)
		if r.code != exitOK {
			t.Fatalf("%q: exit status %d, want 0", args, r.code)
		}
		for _, c := range commands {
			line := strings.TrimSpace("cachedhttp " + c.name + " " + c.synopsis)
			if !strings.Contains(r.out, line) || !strings.Contains(r.out, c.summary) {
				t.Errorf("%q: usage lacks %q / %q:\n%s", args, line, c.summary, r.out)
			}
		}
	}
}

// The package comment (go doc) lists the same synopses as usage.
func TestPackageDocListsEveryCommand(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "main.go", nil, parser.ParseComments|parser.PackageClauseOnly)
	if err != nil {
		t.Fatal(err)
	}
	doc := f.Doc.Text()
	for _, c := range commands {
		if line := strings.TrimSpace("cachedhttp " + c.name + " " + c.synopsis); !strings.Contains(doc, line) {
			t.Errorf("the package comment lacks %q", line)
		}
	}
}

func TestExitStatus(t *testing.T) {
	dsn := tempDSN(t)
	tests := []struct {
		name string
		args []string
		want int
		msg  string // in stderr
	}{
		{"no command", nil, exitUsage, "usage: cachedhttp"},
		{"unknown command", []string{"frobnicate"}, exitUsage, `unknown command "frobnicate"`},
		{"unknown flag", []string{"ls", "-nope"}, exitUsage, "unknown flag: --nope"},
		{"missing argument", []string{"get", "-cache", dsn}, exitUsage, "want exactly one URL"},
		{"extra argument", []string{"stats", "-cache", dsn, "extra"}, exitUsage, "unexpected arguments"},
		{"bad header flag", []string{"get", "-cache", dsn, "-H", "no colon", "http://127.0.0.1/"}, exitUsage, "want 'Name: value'"},
		{"help for an unknown command", []string{"help", "frobnicate"}, exitUsage, `unknown command "frobnicate"`},
		{"flag help", []string{"purge", "-h"}, exitOK, "-all"},
		{"unknown backend", []string{"ls", "-cache", "nosuch://x"}, exitError, "nosuch"},
		{"bad backend parameter", []string{"stats", "-cache", dsn + "?colour=blue"}, exitError, "colour"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCmd(t, tt.args...)
			if r.code != tt.want {
				t.Errorf("exit status %d, want %d\nstderr:\n%s", r.code, tt.want, r.err)
			}
			if !strings.Contains(r.err, tt.msg) {
				t.Errorf("stderr lacks %q:\n%s", tt.msg, r.err)
			}
		})
	}
}

func TestHelpCommandPrintsItsFlags(t *testing.T) {
	r := mustRun(t, "help", "get")
	for _, want := range []string{"usage: cachedhttp get ", "-offline", "-refresh", "-cache DSN"} {
		if !strings.Contains(r.out, want) {
			t.Errorf("help get lacks %q:\n%s", want, r.out)
		}
	}
}

// The command registers every backend of the design, so that any DSN works.
func TestEveryBackendRegistered(t *testing.T) {
	have := map[string]bool{}
	for _, s := range backends.Schemes() {
		have[s] = true
	}
	for _, s := range []string{"bbolt", "file", "memory", "redis", "rediss", "redis+cluster", "redis+sentinel",
		"mongodb", "gridfs", "dynamodb", "memcache", "null"} {
		if !have[s] {
			t.Errorf("scheme %s is not registered (have %v)", s, backends.Schemes())
		}
	}
}
