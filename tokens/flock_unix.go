//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package tokens

import (
	"context"
	"errors"
	"os"
	"syscall"
)

// lockFile takes an exclusive flock on path (created 0600 when missing),
// polling until it holds it or ctx ends.
func lockFile(ctx context.Context, path string) (func(context.Context) error, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			_ = f.Close()
			return nil, &os.PathError{Op: "flock", Path: path, Err: err}
		}
		if err := pause(ctx, attempt); err != nil {
			_ = f.Close()
			return nil, err
		}
	}
	return func(context.Context) error {
		uerr := syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		cerr := f.Close() // closing releases the lock too
		if uerr != nil {
			return &os.PathError{Op: "flock unlock", Path: path, Err: uerr}
		}
		return cerr
	}, nil
}
