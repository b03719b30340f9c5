package main

import (
	"encoding/hex"
	"net/http"
	"strings"
	"testing"

	"github.com/cachedhttp/cachedhttp/models"
)

func TestShowTextRecord(t *testing.T) {
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Origin", "1")
		cacheable("héllo text\nline two\n")(w, r)
	})
	dsn := tempDSN(t)
	u := o.URL + "/doc?b=2&a=1"
	mustRun(t, "get", "-cache", dsn, "-H", "Accept: text/plain", u)

	r := mustRun(t, "show", "-cache", dsn, u)
	for _, want := range []string{
		"key:          " + keyOf(t, u) + "\n",
		"record:       cachedhttp v2 compact zstd (",
		"status:       200 OK (HTTP/1.1)\n",
		"request:      GET " + u + "\n",
		"created:      20",
		"expires:      20",
		"Z (in ",
		"stale-until:  none\n",
		"\nrequest header (as stored, credentials removed):\n  Accept: text/plain\n",
		"\nresponse header:\n",
		"  Cache-Control: max-age=60\n",
		"  X-Origin: 1\n",
		"body:         21 bytes, text\nhéllo text\nline two\n",
	} {
		if !strings.Contains(r.out, want) {
			t.Errorf("show lacks %q:\n%s", want, r.out)
		}
	}

	r = mustRun(t, "show", "-cache", dsn, "-body=false", u)
	if strings.Contains(r.out, "body:") || strings.Contains(r.out, "héllo") {
		t.Errorf("show -body=false prints the body:\n%s", r.out)
	}
	if !strings.Contains(r.out, "X-Origin: 1") {
		t.Errorf("show -body=false lacks the header:\n%s", r.out)
	}
}

func TestShowBinaryBody(t *testing.T) {
	body := make([]byte, 600)
	for i := range body {
		body[i] = byte(i)
	}
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=60")
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Write(body)
	})
	dsn := tempDSN(t)
	mustRun(t, "get", "-cache", dsn, o.URL)
	r := mustRun(t, "show", "-cache", dsn, o.URL)
	if !strings.Contains(r.out, "body:         600 bytes, binary; the first 256:\n"+hex.Dump(body[:256])) {
		t.Errorf("show does not dump the first 256 bytes:\n%s", r.out)
	}
	if strings.Contains(r.out, "00000100  ") {
		t.Errorf("show dumps more than 256 bytes:\n%s", r.out)
	}
}

func TestShowByKey(t *testing.T) {
	o := newOrigin(t, cacheable("x"))
	dsn := tempDSN(t)
	mustRun(t, "get", "-cache", dsn, o.URL+"/one")
	mustRun(t, "get", "-cache", dsn, o.URL+"/two")
	k := keyOf(t, o.URL+"/one")
	// A key copied from ls without its "v1:" prefix names it too.
	for _, arg := range []string{k, shortKey(k), k[:len("v1:")+6], strings.TrimPrefix(shortKey(k), "v1:")} {
		r := mustRun(t, "show", "-cache", dsn, arg)
		if !strings.Contains(r.out, "key:          "+k+"\n") || !strings.Contains(r.out, "request:      GET "+o.URL+"/one\n") {
			t.Errorf("show %s:\n%s", arg, r.out)
		}
	}

	r := runCmd(t, "show", "-cache", dsn, "v1:")
	if r.code != exitError || !strings.Contains(r.err, `"v1:" names 2 keys`) {
		t.Errorf("ambiguous prefix: status %d, %s", r.code, r.err)
	}
	r = runCmd(t, "show", "-cache", dsn, "v1:zz")
	if r.code != exitError || !strings.Contains(r.err, "no record stored") {
		t.Errorf("unknown key: status %d, %s", r.code, r.err)
	}
	r = runCmd(t, "show", "-cache", dsn, o.URL+"/three")
	if r.code != exitError || !strings.Contains(r.err, "no record stored under "+keyOf(t, o.URL+"/three")) {
		t.Errorf("unknown URL: status %d, %s", r.code, r.err)
	}
}

// show decodes with the serializer the DSN names, and shows the header of
// a record it cannot decode.
func TestShowSerializerFromDSN(t *testing.T) {
	o := newOrigin(t, cacheable("json body"))
	dsn := tempDSN(t)
	mustRun(t, "get", "-cache", dsn+"?serializer=json", o.URL)

	r := mustRun(t, "show", "-cache", dsn+"?serializer=json", o.URL)
	if !strings.Contains(r.out, "record:       cachedhttp v1 json (") || !strings.Contains(r.out, "json body") {
		t.Errorf("show with the writer's serializer:\n%s", r.out)
	}
	r = runCmd(t, "show", "-cache", dsn, o.URL)
	if r.code != exitError || !strings.Contains(r.out, "record:       cachedhttp v1 json (") || !strings.Contains(r.err, "serializer parameters must match") {
		t.Errorf("show with another serializer: status %d\nstdout:\n%s\nstderr:\n%s", r.code, r.out, r.err)
	}
}

func TestShowVariants(t *testing.T) {
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Vary", "Accept-Language")
		cacheable("lang="+r.Header.Get("Accept-Language"))(w, r)
	})
	dsn := tempDSN(t)
	mustRun(t, "get", "-cache", dsn, "-H", "Accept-Language: en", o.URL)
	mustRun(t, "get", "-cache", dsn, "-H", "Accept-Language: de", o.URL)
	r := mustRun(t, "show", "-cache", dsn, o.URL)
	for _, want := range []string{"vary index:   accept-language\n", "variants:     2\n", "lang=en", "lang=de"} {
		if !strings.Contains(r.out, want) {
			t.Errorf("show lacks %q:\n%s", want, r.out)
		}
	}
	// A variant's short key (as ls prints it) names that variant only.
	var short string
	for _, l := range strings.Split(mustRun(t, "ls", "-cache", dsn).out, "\n") {
		if strings.Contains(l, "|") {
			short = strings.Fields(l)[0]
			break
		}
	}
	r = mustRun(t, "show", "-cache", dsn, short)
	if strings.Count(r.out, "key:") != 1 || strings.Count(r.out, "lang=") != 1 {
		t.Errorf("show %s:\n%s", short, r.out)
	}
}

func TestPrintable(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"plain\ttext\r\n", true},
		{"ünïcödé ✓", true},
		{"nul\x00", false},
		{"escape \x1b[31m", false},
		{"\xff\xfe", false},
	}
	for _, tt := range tests {
		if got := printable([]byte(tt.in)); got != tt.want {
			t.Errorf("printable(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestShowForeignRecord(t *testing.T) {
	dsn := tempDSN(t)
	seed(t, dsn, map[string]*models.Response{"foreign": nil})
	r := runCmd(t, "show", "-cache", dsn, "foreign")
	if r.code != exitError || !strings.Contains(r.err, "invalid record") {
		t.Errorf("status %d, stderr %q", r.code, r.err)
	}
	if want := "record:       not a cachedhttp record, 12 bytes; the first 12:\n" + hex.Dump([]byte("not a record")); !strings.Contains(r.out, want) {
		t.Errorf("stdout:\n%s\nwant:\n%s", r.out, want)
	}
	// ls names it too.
	if r := mustRun(t, "ls", "-cache", dsn); !strings.Contains(r.out, "foreign  error") || !strings.Contains(r.out, "invalid record") {
		t.Errorf("ls:\n%s", r.out)
	}
}
