package redis_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	goredis "github.com/redis/go-redis/v9"

	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/backends/backendtest"
)

// clusterMasters returns, for every primary of the cluster, how many keys
// under prefix it holds.
func clusterMasters(t *testing.T, c *goredis.ClusterClient, prefix string) map[string]int {
	t.Helper()
	var mu sync.Mutex
	counts := map[string]int{}
	err := c.ForEachMaster(t.Context(), func(ctx context.Context, node *goredis.Client) error {
		n := 0
		iter := node.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		for iter.Next(ctx) {
			n++
		}
		mu.Lock()
		counts[node.Options().Addr] = n
		mu.Unlock()
		return iter.Err()
	})
	if err != nil {
		t.Fatalf("ForEachMaster: %v", err)
	}
	return counts
}

func TestClusterScanVisitsEveryMaster(t *testing.T) {
	c := modes[1].connect(t).(*goredis.ClusterClient)
	b := newBackend(t, c, "")
	ctx := t.Context()
	const n = 300
	for i := range n {
		if err := b.Set(ctx, fmt.Sprintf("spread-%d", i), []byte("v"), 0); err != nil {
			t.Fatal(err)
		}
	}
	counts := clusterMasters(t, c, b.Prefix())
	t.Run("keys are spread over every master", func(t *testing.T) {
		if len(counts) < 3 {
			t.Fatalf("cluster has %d masters (%v); the test needs 3", len(counts), counts)
		}
		total := 0
		for addr, k := range counts {
			if k == 0 {
				t.Errorf("master %s holds none of the %d keys", addr, n)
			}
			total += k
		}
		if total != n {
			t.Errorf("masters hold %d keys in all; want %d", total, n)
		}
	})
	t.Run("scan yields the keys of every master once", func(t *testing.T) {
		got := map[string]int{}
		for e, err := range b.Scan(ctx) {
			if err != nil {
				t.Fatalf("Scan: %v", err)
			}
			got[e.Key]++
		}
		for i := range n {
			if k := fmt.Sprintf("spread-%d", i); got[k] != 1 {
				t.Errorf("Scan yielded %s %d times; want once", k, got[k])
			}
		}
		if len(got) != n {
			t.Errorf("Scan yielded %d keys; want %d", len(got), n)
		}
	})
	t.Run("clear empties every master", func(t *testing.T) {
		if err := b.Clear(ctx); err != nil {
			t.Fatalf("Clear: %v", err)
		}
		for addr, k := range clusterMasters(t, c, b.Prefix()) {
			if k != 0 {
				t.Errorf("master %s still holds %d keys after Clear", addr, k)
			}
		}
	})
}

func TestClusterDeleteAcrossSlots(t *testing.T) {
	c := modes[1].connect(t).(*goredis.ClusterClient)
	b := newBackend(t, c, "")
	ctx := t.Context()
	var keys []string
	slots := map[int64]bool{}
	for i := range 30 {
		k := fmt.Sprintf("cross-%d", i)
		keys = append(keys, k)
		slot, err := c.ClusterKeySlot(ctx, b.Prefix()+k).Result()
		if err != nil {
			t.Fatalf("CLUSTER KEYSLOT: %v", err)
		}
		slots[slot] = true
		if err := b.Set(ctx, k, []byte("v"), 0); err != nil {
			t.Fatal(err)
		}
	}
	if len(slots) < 10 {
		t.Fatalf("the 30 keys fall in %d slots; the test needs keys in many slots", len(slots))
	}
	// A plain multi-key UNLINK of these keys is what the backend must avoid.
	if err := c.Unlink(ctx, b.Prefix()+keys[0], b.Prefix()+keys[1], b.Prefix()+keys[2], b.Prefix()+keys[3]).Err(); err == nil {
		t.Log("note: a multi-key UNLINK across slots succeeded; the cluster may route it differently")
	}
	if err := b.Delete(ctx, keys...); err != nil {
		t.Fatalf("Delete of keys in %d slots: %v", len(slots), err)
	}
	for _, k := range keys {
		if _, err := b.Get(ctx, k); !errors.Is(err, backends.ErrNotFound) {
			t.Errorf("Get(%s) after Delete = %v; want ErrNotFound", k, err)
		}
	}
}

func TestRingScanVisitsEveryShard(t *testing.T) {
	ring := modes[3].connect(t).(*goredis.Ring)
	b := newBackend(t, ring, "")
	ctx := t.Context()
	const n = 100
	for i := range n {
		if err := b.Set(ctx, fmt.Sprintf("ring-%d", i), []byte("v"), 0); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	perDB := map[int]int{}
	err := ring.ForEachShard(ctx, func(ctx context.Context, shard *goredis.Client) error {
		keys, err := shard.Keys(ctx, b.Prefix()+"*").Result()
		mu.Lock()
		perDB[shard.Options().DB] += len(keys)
		mu.Unlock()
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(perDB) != 2 || perDB[0] == 0 || perDB[1] == 0 || perDB[0]+perDB[1] != n {
		t.Errorf("keys per shard database = %v; want both shards used, %d in all", perDB, n)
	}
	got := 0
	for _, err := range b.Scan(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		got++
	}
	if got != n {
		t.Errorf("Scan yielded %d keys over the ring; want %d", got, n)
	}
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("ring-%d", i)
	}
	if err := b.Delete(ctx, keys...); err != nil {
		t.Fatalf("Delete across shards: %v", err)
	}
	for _, k := range keys {
		if _, err := b.Get(ctx, k); !errors.Is(err, backends.ErrNotFound) {
			t.Fatalf("Get(%s) after Delete = %v", k, err)
		}
	}
}

// TestScanYieldsKeysSeenTwiceOnce builds a ring whose two shards are the same
// database, so SCAN returns every key once per shard, as it can during a
// cluster slot migration or a rehash: Scan must still yield each key once.
func TestScanYieldsKeysSeenTwiceOnce(t *testing.T) {
	o, err := goredis.ParseURL(backendtest.Service(t, "CACHEDHTTP_REDIS_URL"))
	if err != nil {
		t.Fatal(err)
	}
	ring := goredis.NewRing(&goredis.RingOptions{Addrs: map[string]string{"a": o.Addr, "b": o.Addr}, DB: o.DB})
	t.Cleanup(func() { _ = ring.Close() })
	b := newBackend(t, ring, "")
	ctx := t.Context()
	for i := range 20 {
		if err := b.Set(ctx, fmt.Sprintf("twice-%d", i), []byte("v"), 0); err != nil {
			t.Fatal(err)
		}
	}
	got := map[string]int{}
	for e, err := range b.Scan(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		got[e.Key]++
	}
	for i := range 20 {
		if k := fmt.Sprintf("twice-%d", i); got[k] != 1 {
			t.Errorf("Scan yielded %s %d times; want once", k, got[k])
		}
	}
}
