package tokens

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"
)

// keyLocks is a set of mutexes by name whose Lock honours a context. The
// process-wide one (processLocks) serialises the refreshes of every
// TokenSource of this process that uses the same key, whichever store it
// uses (two stores with the same key only wait for each other).
type keyLocks struct {
	mu    sync.Mutex
	locks map[string]*keyLock
}

type keyLock struct {
	ch   chan struct{} // holds one value while locked
	refs int           // holders and waiters, to drop idle entries
}

var processLocks = &keyLocks{locks: map[string]*keyLock{}}

// lock blocks until it holds the lock named name or ctx ends.
func (l *keyLocks) lock(ctx context.Context, name string) (unlock func(), err error) {
	l.mu.Lock()
	k := l.locks[name]
	if k == nil {
		k = &keyLock{ch: make(chan struct{}, 1)}
		l.locks[name] = k
	}
	k.refs++
	l.mu.Unlock()
	release := func() {
		l.mu.Lock()
		if k.refs--; k.refs == 0 {
			delete(l.locks, name)
		}
		l.mu.Unlock()
	}
	select {
	case k.ch <- struct{}{}:
	case <-ctx.Done():
		release()
		return nil, ctx.Err()
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			<-k.ch
			release()
		})
	}, nil
}

// pause waits before attempt+1 of a poll for a lock held elsewhere: 10 ms
// doubling to 500 ms, with jitter so that waiters do not move in step. It
// returns ctx's error when ctx ends first.
func pause(ctx context.Context, attempt int) error {
	d := 10 * time.Millisecond << min(attempt, 6)
	d = min(d, 500*time.Millisecond)
	d = d/2 + rand.N(d/2+1)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
