package redis_test

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/backends/backendtest"
)

// TestSentinelFailover keeps writing and reading through a Sentinel failover
// client while SENTINEL FAILOVER moves the primary. Errors during the switch
// are acceptable; a read that returns bytes other than those written is not;
// once the new primary is in place every write must succeed.
func TestSentinelFailover(t *testing.T) {
	addrs := backendtest.Service(t, "CACHEDHTTP_REDIS_SENTINEL")
	master := backendtest.Service(t, "CACHEDHTTP_REDIS_SENTINEL_MASTER")
	b := newBackend(t, sentinelClient(t, addrs), "")
	ctx := t.Context()

	sentinel := goredis.NewSentinelClient(&goredis.Options{Addr: strings.Split(addrs, ",")[0]})
	t.Cleanup(func() { _ = sentinel.Close() })
	before, err := sentinel.GetMasterAddrByName(ctx, master).Result()
	if err != nil {
		t.Fatalf("SENTINEL GET-MASTER-ADDR-BY-NAME %s: %v", master, err)
	}

	written := map[string][]byte{} // keys whose Set succeeded
	var names []string
	seq := 0
	r := rand.New(rand.NewPCG(1, 2))
	// step writes one new key and reads it and an older key back. It
	// reports whether everything it did succeeded.
	step := func() bool {
		seq++
		key := fmt.Sprintf("failover-%06d", seq)
		val := []byte(fmt.Sprintf("value of %s %x", key, r.Uint64()))
		ok := true
		if err := b.Set(ctx, key, val, time.Hour); err == nil {
			written[key] = val
			names = append(names, key)
		} else {
			ok = false
		}
		check := []string{key}
		if len(names) > 0 {
			check = append(check, names[r.IntN(len(names))])
		}
		for _, k := range check {
			if _, ok := written[k]; !ok {
				continue // its Set failed: nothing to compare with
			}
			got, err := b.Get(ctx, k)
			switch {
			case err != nil:
				// A miss (a write the old primary acknowledged but never
				// replicated) or an error while switching: acceptable.
				if !errors.Is(err, backends.ErrNotFound) {
					ok = false
				}
			case !bytes.Equal(got, written[k]):
				t.Errorf("Get(%s) = %q; want %q (wrong data during failover)", k, got, written[k])
			}
		}
		return ok
	}
	for range 20 {
		if !step() {
			t.Fatal("writes fail before the failover started")
		}
	}

	deadline := time.Now().Add(15 * time.Second)
	for {
		err := sentinel.Failover(ctx, master).Err()
		if err == nil {
			break
		}
		// INPROG or NOGOODSLAVE right after an earlier failover: retry.
		if time.Now().After(deadline) {
			t.Fatalf("SENTINEL FAILOVER %s: %v", master, err)
		}
		step()
		time.Sleep(100 * time.Millisecond)
	}

	// Recovery: sentinel names a new primary, that node says it is the
	// primary, the old one says it is a replica, and the last 50 steps
	// succeeded.
	var after []string
	role := func(addr string) string {
		c := goredis.NewClient(&goredis.Options{Addr: addr, MaxRetries: -1})
		defer c.Close()
		v, err := c.Do(ctx, "ROLE").Slice()
		if err != nil || len(v) == 0 {
			return fmt.Sprintf("unknown (%v)", err)
		}
		return fmt.Sprint(v[0])
	}
	recovered := func() bool {
		now, err := sentinel.GetMasterAddrByName(ctx, master).Result()
		if err != nil || fmt.Sprint(now) == fmt.Sprint(before) {
			return false
		}
		after = now
		return role(after[0]+":"+after[1]) == "master" && role(before[0]+":"+before[1]) == "slave"
	}
	streak, failures := 0, 0
	// A bound that detects a hang, not a speed: under load the old primary
	// can take tens of seconds to be reconfigured as a replica.
	deadline = time.Now().Add(60 * time.Second)
	for streak < 50 || !recovered() {
		if time.Now().After(deadline) {
			t.Fatalf("no recovery within 60s of the failover: sentinel names %v (was %v), last %d steps succeeded, %d failed in all", after, before, streak, failures)
		}
		if step() {
			streak++
		} else {
			streak = 0
			failures++
			time.Sleep(20 * time.Millisecond)
		}
	}
	t.Logf("primary moved from %v to %v; %d failed steps during the switch, %d keys written", before, after, failures, len(written))

	t.Run("after recovery every write succeeds and lands on the new primary", func(t *testing.T) {
		primary := goredis.NewClient(&goredis.Options{Addr: after[0] + ":" + after[1]})
		defer primary.Close()
		for i := range 100 {
			key := fmt.Sprintf("after-%d", i)
			if err := b.Set(ctx, key, []byte(key), 0); err != nil {
				t.Fatalf("Set(%s) after recovery: %v", key, err)
			}
			if got, err := b.Get(ctx, key); err != nil || string(got) != key {
				t.Fatalf("Get(%s) after recovery = %q, %v", key, got, err)
			}
			if got, err := primary.Get(ctx, b.Prefix()+key).Result(); err != nil || got != key {
				t.Fatalf("GET %s on the new primary %v = %q, %v", key, after, got, err)
			}
		}
	})
}
