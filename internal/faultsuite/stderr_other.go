//go:build !linux

package faultsuite

import "os"

// redirectStderr swaps the os.Stderr variable (writers that kept the old
// *os.File are not caught on this system).
func redirectStderr(w *os.File) (restore func(), saved *os.File, err error) {
	old := os.Stderr
	os.Stderr = w
	return func() { os.Stderr = old }, old, nil
}
