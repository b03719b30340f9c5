package bbolt

import (
	"context"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/cachedhttp/cachedhttp/backends"
)

// holdCommits starts a write on c that holds the write transaction open
// until the returned release is called, and returns that transaction's id
// once it is open. release waits for the write to return.
func holdCommits(t *testing.T, c *committer) (id int, release func()) {
	t.Helper()
	held, hold := make(chan int, 1), make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		err := c.do(context.Background(), 0, func(tx *bolt.Tx) error {
			select {
			case held <- tx.ID():
			default:
			}
			<-hold
			return nil
		})
		if err != nil {
			t.Error(err)
		}
	})
	return <-held, func() { close(hold); wg.Wait() }
}

// waitQueued waits until n writes are queued on c behind the one holding
// it.
func waitQueued(c *committer, n int) {
	for {
		c.mu.Lock()
		queued := len(c.pending)
		c.mu.Unlock()
		if queued >= n {
			return
		}
		runtime.Gosched()
	}
}

// lastTx returns the id of the last committed write transaction.
func lastTx(t *testing.T, db *bolt.DB) int {
	t.Helper()
	var id int
	if err := db.View(func(tx *bolt.Tx) error { id = tx.ID(); return nil }); err != nil {
		t.Fatal(err)
	}
	return id
}

func TestWritesArrivingTogetherShareOneCommit(t *testing.T) {
	ctx := context.Background()
	b, err := Open(filepath.Join(t.TempDir(), "cache.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	leader, release := holdCommits(t, &b.commits)
	var wg sync.WaitGroup
	for _, write := range []func() error{
		func() error { return b.Set(ctx, "a", []byte("1"), 0) },
		func() error {
			return b.SetMany(ctx, []backends.Item{{Key: "b", Value: []byte("2")}, {Key: "c", Value: []byte("3")}})
		},
		func() error { return b.Delete(ctx, "x") },
		func() error { _, err := b.Add(ctx, "d", []byte("4"), 0); return err },
	} {
		wg.Go(func() {
			if err := write(); err != nil {
				t.Error(err)
			}
		})
	}
	waitQueued(&b.commits, 4)
	release()
	wg.Wait()
	if got := lastTx(t, b.db); got != leader+1 {
		t.Errorf("four writes queued together committed in %d transactions; want 1", got-leader)
	}
	for _, k := range []string{"a", "b", "c", "d"} {
		if _, err := b.Get(ctx, k); err != nil {
			t.Errorf("Get(%q) = %v", k, err)
		}
	}
}

func TestGroupCommitIsBounded(t *testing.T) {
	db, err := bolt.Open(filepath.Join(t.TempDir(), "cache.db"), 0o600, &bolt.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c := &committer{db: db}
	leader, release := holdCommits(t, c)
	// Three writes of half the bound each: two fit in one group.
	ids := make([]int, 3)
	var wg sync.WaitGroup
	for i := range ids {
		wg.Go(func() {
			err := c.do(context.Background(), maxGroupBytes/2, func(tx *bolt.Tx) error {
				ids[i] = tx.ID()
				return nil
			})
			if err != nil {
				t.Error(err)
			}
		})
		waitQueued(c, i+1) // queued in this order
	}
	release()
	wg.Wait()
	if ids[0] != leader+1 || ids[1] != leader+1 || ids[2] != leader+2 {
		t.Errorf("writes of half the bound each committed in transactions %v after %d; want two in the first, one in the next", ids, leader)
	}
}
