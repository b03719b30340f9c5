package faultsuite

import (
	"os"
	"syscall"
)

// redirectStderr points file descriptor 2 at w and returns a function that
// points it back. Moving the descriptor, not the os.Stderr variable, also
// catches writers that kept the *os.File (a log.Logger made at init, as
// go-redis's is) and the runtime's own output.
func redirectStderr(w *os.File) (restore func(), saved *os.File, err error) {
	fd, err := syscall.Dup(2)
	if err != nil {
		return nil, nil, err
	}
	saved = os.NewFile(uintptr(fd), "stderr (saved)")
	if err := syscall.Dup3(int(w.Fd()), 2, 0); err != nil {
		saved.Close()
		return nil, nil, err
	}
	return func() { syscall.Dup3(fd, 2, 0) }, saved, nil
}
