//go:build !(darwin || dragonfly || freebsd || linux || netbsd || openbsd)

package tokens

import "context"

// lockFile serialises the goroutines of this process on path: this system
// has no flock(2), so FileStore's lock does not reach other processes.
func lockFile(ctx context.Context, path string) (func(context.Context) error, error) {
	unlock, err := processLocks.lock(ctx, "file:"+path)
	if err != nil {
		return nil, err
	}
	return func(context.Context) error { unlock(); return nil }, nil
}
