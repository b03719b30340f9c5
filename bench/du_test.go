package bench

import (
	"io/fs"
	"path/filepath"
	"syscall"
	"testing"
)

// du returns the sum of the sizes of the regular files under dir and the
// bytes of the blocks allocated to them.
func du(tb testing.TB, dir string) (size, alloc float64) {
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		size += float64(fi.Size())
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			alloc += float64(st.Blocks) * 512
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return size, alloc
}
