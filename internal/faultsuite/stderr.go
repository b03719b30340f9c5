package faultsuite

import (
	"os"
	"sync"
)

// stderrTap counts what is written to the process's standard error while
// it is installed, and passes it on to the real standard error so nothing
// is lost (a race report, a panic).
type stderrTap struct {
	restore func()
	saved   *os.File
	r, w    *os.File
	done    chan struct{}

	mu    sync.Mutex
	n     int
	first []byte // the first bytes, for a failure message
}

// tapStderr installs a tap on standard error.
func tapStderr() (*stderrTap, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	restore, saved, err := redirectStderr(w)
	if err != nil {
		r.Close()
		w.Close()
		return nil, err
	}
	tp := &stderrTap{restore: restore, saved: saved, r: r, w: w, done: make(chan struct{})}
	go tp.copy()
	return tp, nil
}

func (tp *stderrTap) copy() {
	defer close(tp.done)
	buf := make([]byte, 4096)
	for {
		n, err := tp.r.Read(buf)
		if n > 0 {
			tp.mu.Lock()
			tp.n += n
			if len(tp.first) < 2048 {
				tp.first = append(tp.first, buf[:min(n, 2048-len(tp.first))]...)
			}
			tp.mu.Unlock()
			tp.saved.Write(buf[:n])
		}
		if err != nil {
			return
		}
	}
}

// stop removes the tap and returns how many bytes were written and the
// first of them.
func (tp *stderrTap) stop() (int, string) {
	tp.restore()
	tp.w.Close()
	<-tp.done
	tp.r.Close()
	if tp.saved != os.Stderr {
		tp.saved.Close()
	}
	tp.mu.Lock()
	defer tp.mu.Unlock()
	return tp.n, string(tp.first)
}
