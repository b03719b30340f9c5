//go:build unix

package filesystem

import (
	"os"
	"syscall"
)

// flockSupported says whether flock orders Add and Incr across processes.
const flockSupported = true

// flock takes an exclusive flock(2) of f, waiting for it, retrying when a
// signal interrupts the wait.
func flock(f *os.File) error {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if err != syscall.EINTR {
			return err
		}
	}
}
