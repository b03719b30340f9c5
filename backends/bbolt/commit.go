package bbolt

import (
	"context"
	"sync"
	"sync/atomic"

	bolt "go.etcd.io/bbolt"
)

// maxGroupBytes bounds the bytes of value one group commit carries (a
// single larger write goes alone): a group holds the write lock until it
// is on disk, and writers queued behind it wait that long.
const maxGroupBytes = 16 << 20

// committer runs write functions in shared bbolt transactions (group
// commit). A caller that finds no commit running commits everything queued
// so far, its own write included, up to maxGroupBytes; callers arriving
// meanwhile queue, and the first of them commits the next group. A lone
// writer never waits for a timer (db.Batch waits MaxBatchDelay for
// company), and concurrent writers share fsyncs.
type committer struct {
	db *bolt.DB
	// version counts write transactions, bumped after each one ends
	// (backends.Versioned): once a change is visible, the count has moved
	// or is about to, and a reader that saw the count before reading
	// sees a different count afterwards.
	version atomic.Uint64

	mu      sync.Mutex
	pending []*write
	running bool
}

// write is one queued write function and where its result goes.
type write struct {
	ctx  context.Context
	size int // bytes of value it writes, for maxGroupBytes
	fn   func(*bolt.Tx) error
	done chan error    // the result, once committed or failed
	lead chan struct{} // a signal to commit the next group
}

// do runs fn, which writes about size bytes of value, in a write
// transaction shared with concurrent callers and returns once that
// transaction committed (or failed). fn may run more than once (if another
// function in its group fails, each is retried alone) and must leave no
// effect outside the transaction. A write whose ctx is done before its
// group commits is dropped with ctx's error. do always waits for the
// commit, so fn may hand bbolt memory that the caller owns.
func (c *committer) do(ctx context.Context, size int, fn func(*bolt.Tx) error) error {
	w := &write{ctx: ctx, size: size, fn: fn, done: make(chan error, 1), lead: make(chan struct{}, 1)}
	c.mu.Lock()
	c.pending = append(c.pending, w)
	lead := !c.running
	c.running = true
	c.mu.Unlock()
	if lead {
		c.commitGroup()
	}
	for {
		select {
		case err := <-w.done:
			return err
		case <-w.lead:
			c.commitGroup()
		}
	}
}

// commitGroup commits the pending writes, up to maxGroupBytes, then hands
// the lead to the first write still queued, if any.
func (c *committer) commitGroup() {
	c.mu.Lock()
	n, size := 1, c.pending[0].size
	for ; n < len(c.pending) && size+c.pending[n].size <= maxGroupBytes; n++ {
		size += c.pending[n].size
	}
	group := c.pending[:n]
	// The writes left over get an array of their own: the group's keeps
	// what its writes hold (values) only until the group is done.
	c.pending = append([]*write(nil), c.pending[n:]...)
	c.mu.Unlock()

	c.commit(group)

	c.mu.Lock()
	if len(c.pending) > 0 {
		c.pending[0].lead <- struct{}{}
	} else {
		c.running = false
	}
	c.mu.Unlock()
}

// update runs fn in a write transaction and then bumps the version.
func (c *committer) update(fn func(*bolt.Tx) error) error {
	defer c.version.Add(1)
	return c.db.Update(fn)
}

// commit runs group in one transaction; if that fails, it runs each write
// in its own so one failing write does not fail the others.
func (c *committer) commit(group []*write) {
	results := make([]error, len(group))
	err := c.update(func(tx *bolt.Tx) error {
		for i, w := range group {
			if err := w.ctx.Err(); err != nil {
				results[i] = err
				continue
			}
			if err := w.fn(tx); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil && len(group) > 1 {
		for _, w := range group {
			c.commit([]*write{w})
		}
		return
	}
	for i, w := range group {
		if err != nil {
			w.done <- err
		} else {
			w.done <- results[i]
		}
	}
}
