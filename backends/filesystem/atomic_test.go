//go:build unix

package filesystem_test

import (
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/backends/filesystem"
)

func TestFileMode(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	tests := []struct {
		mode          os.FileMode
		file, dirWant os.FileMode
	}{
		{0, 0o600, 0o700},
		{0o640, 0o640, 0o750},
		{0o660, 0o660, 0o750}, // the umask takes the group's write from directories
		{0o644, 0o644, 0o755},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%04o", tt.mode), func(t *testing.T) {
			b := open(t, &filesystem.Options{FileMode: tt.mode})
			if err := b.Set(t.Context(), "set", []byte("v"), 0); err != nil {
				t.Fatal(err)
			}
			if _, err := b.Add(t.Context(), "added", []byte("v"), 0); err != nil {
				t.Fatal(err)
			}
			if _, err := b.Incr(t.Context(), "counter", 1, 0); err != nil {
				t.Fatal(err)
			}
			for _, key := range []string{"set", "added", "counter"} {
				path := b.File(key)
				fi, err := os.Stat(path)
				if err != nil {
					t.Fatal(err)
				}
				if got := fi.Mode().Perm(); got != tt.file {
					t.Errorf("file of %q has mode %04o; want %04o", key, got, tt.file)
				}
				di, err := os.Stat(filepath.Dir(path))
				if err != nil {
					t.Fatal(err)
				}
				if got := di.Mode().Perm(); got != tt.dirWant {
					t.Errorf("directory of %q has mode %04o; want %04o", key, got, tt.dirWant)
				}
			}
		})
	}
}

func TestFileModeDSN(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "c")
	b, err := backends.Open(t.Context(), "file://"+dir+"?mode=0640")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.Set(t.Context(), "k", []byte("v"), 0); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(b.(*filesystem.Backend).File("k"))
	if err != nil || fi.Mode().Perm() != 0o640 {
		t.Errorf("mode=0640: file mode %v, %v", fi.Mode(), err)
	}
	for _, bad := range []string{"rw", "0", "1000", "9"} {
		if _, err := backends.Open(t.Context(), "file://"+dir+"?mode="+bad); err == nil || !strings.Contains(err.Error(), "mode") {
			t.Errorf("mode=%s: %v; want an error about mode", bad, err)
		}
	}
}

// TestLockDirSurvivesClear: Clear removes the fan-out directories only;
// the lock files stay where other processes expect them.
func TestLockDirSurvivesClear(t *testing.T) {
	b := open(t, nil)
	if _, err := b.Incr(t.Context(), "k", 1, 0); err != nil {
		t.Fatal(err)
	}
	if err := b.Clear(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(b.Dir(), ".locks")); err != nil {
		t.Errorf("lock directory after Clear: %v", err)
	}
	if n, err := b.Incr(t.Context(), "k", 1, 0); n != 1 || err != nil {
		t.Errorf("Incr after Clear = %d, %v; want 1", n, err)
	}
	var entries int
	_ = filepath.WalkDir(b.Dir(), func(_ string, d fs.DirEntry, _ error) error {
		if d != nil && !d.IsDir() && len(d.Name()) == 64 {
			entries++
		}
		return nil
	})
	if entries != 1 {
		t.Errorf("%d entry files; want 1 (lock files are not entries)", entries)
	}
}

const childDirEnv = "FILESYSTEM_INCR_CHILD_DIR"

// TestIncrAcrossProcesses: four processes incrementing one counter in one
// directory lose no increment (the flock of the shard's lock file orders
// them; each process has its own Backend and mutexes).
func TestIncrAcrossProcesses(t *testing.T) {
	if dir := os.Getenv(childDirEnv); dir != "" {
		b, err := filesystem.Open(dir, nil)
		if err != nil {
			t.Fatal(err)
		}
		for range 100 {
			if _, err := b.Incr(t.Context(), "shared", 1, 0); err != nil {
				t.Fatal(err)
			}
		}
		return
	}
	dir := filepath.Join(t.TempDir(), "cache")
	const processes = 4
	cmds := make([]*exec.Cmd, processes)
	for i := range cmds {
		cmds[i] = exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestIncrAcrossProcesses$")
		cmds[i].Env = append(os.Environ(), childDirEnv+"="+dir)
		if err := cmds[i].Start(); err != nil {
			t.Fatal(err)
		}
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("process %d: %v", i, err)
		}
	}
	b, err := filesystem.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	v, err := b.Get(t.Context(), "shared")
	if err != nil || string(v) != strconv.Itoa(processes*100) {
		t.Errorf("counter after %d processes x 100 increments = %q, %v", processes, v, err)
	}
}
