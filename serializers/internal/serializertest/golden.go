package serializertest

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// CheckGoldenRecords decodes the golden record of every spec and golden
// response, dir/v<version>/<spec>/<name>.rec (version 2 for the compact
// codec, 1 for the others), with the spec's pipeline and compares
// it with the response it was written from, so that a change that stops
// old records from reading fails. With update it first writes the records
// that do not exist yet (never overwriting one: goldens are append-only,
// see FORMAT.md).
func CheckGoldenRecords(t *testing.T, dir string, specs []Spec, update bool) {
	t.Helper()
	for _, spec := range specs {
		for name, want := range GoldenResponses() {
			path := spec.goldenPath(dir, name)
			t.Run(spec.String()+"/"+name, func(t *testing.T) {
				p := spec.Build(t, true)
				if update {
					if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
						rec, err := p.Marshal(want)
						if err != nil {
							t.Fatal(err)
						}
						if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
							t.Fatal(err)
						}
						if err := os.WriteFile(path, rec, 0o644); err != nil {
							t.Fatal(err)
						}
					}
				}
				rec, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("golden record missing (run go test -run TestGoldenRecords -update): %v", err)
				}
				got, err := p.Unmarshal(rec)
				if err != nil {
					t.Fatalf("golden record no longer decodes: %v", err)
				}
				if d := Diff(want, got); d != "" {
					t.Fatalf("golden record decodes to a different response:\n%s", d)
				}
			})
		}
	}
}

// goldenPath is where the golden record of the response name is kept.
func (s Spec) goldenPath(dir, name string) string {
	return filepath.Join(dir, "v"+strconv.Itoa(s.Version()), s.String(), name+".rec")
}

// goldenVersions are the format versions that have golden directories.
var goldenVersions = []string{"v1", "v2"}

// CheckGoldenRecordsComplete fails when dir/v1 or dir/v2 holds a record of one of the
// codecs of specs that CheckGoldenRecords(specs) does not read (a pipeline
// renamed without keeping its goldens, a stray file), when one it reads is
// missing, and when a directory belongs to a codec that is neither in specs
// nor in elsewhere, the codecs whose goldens other packages' tests read.
func CheckGoldenRecordsComplete(t *testing.T, dir string, specs []Spec, elsewhere ...string) {
	t.Helper()
	known := map[string]bool{}
	mine := map[string]bool{}
	for _, spec := range specs {
		mine[spec.Codec.String()] = true
		for name := range GoldenResponses() {
			known[spec.goldenPath(dir, name)] = true
		}
	}
	others := map[string]bool{}
	for _, c := range elsewhere {
		others[c] = true
	}
	n := 0
	for _, v := range goldenVersions {
		root := filepath.Join(dir, v)
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if errors.Is(err, fs.ErrNotExist) && path == root {
				return nil
			}
			if err != nil || d.IsDir() {
				return err
			}
			rel, err := filepath.Rel(root, path)
			if err != nil {
				return err
			}
			pipeline, _, _ := strings.Cut(rel, string(filepath.Separator))
			codec, _, _ := strings.Cut(pipeline, "+")
			switch {
			case mine[codec]:
				n++
				if !known[path] {
					t.Errorf("golden record %s is not read by TestGoldenRecords", path)
				}
			case !others[codec]:
				t.Errorf("golden record %s is of codec %q, which no test reads", path, codec)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if n != len(known) {
		t.Errorf("found %d golden records of codecs %v, want %d", n, keys(mine), len(known))
	}
}

func keys(m map[string]bool) []string {
	var s []string
	for k := range m {
		s = append(s, k)
	}
	return s
}

// GoldenRecords returns every golden record under dir, to seed fuzz targets
// with real records of every pipeline.
func GoldenRecords(dir string) [][]byte {
	var recs [][]byte
	_ = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && filepath.Ext(path) == ".rec" {
			if b, err := os.ReadFile(path); err == nil {
				recs = append(recs, b)
			}
		}
		return nil
	})
	return recs
}
