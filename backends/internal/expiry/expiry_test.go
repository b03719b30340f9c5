package expiry_test

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/cachedhttp/cachedhttp/backends/internal/expiry"
)

// huge is the largest ttl a caller can pass.
const huge = time.Duration(math.MaxInt64)

func TestAtRoundsUp(t *testing.T) {
	now := time.Unix(100, 500) // 500 ns past a millisecond
	tests := []struct {
		name  string
		ttl   time.Duration
		want  time.Time
		never bool
	}{
		{"zero ttl never expires", 0, time.Time{}, true},
		{"negative ttl never expires", -time.Second, time.Time{}, true},
		{"sub-millisecond expiry rounds up", time.Millisecond, time.Unix(100, 2_000_000), false},
		{"whole milliseconds stay", time.Millisecond - 500, time.Unix(100, 1_000_000), false},
		{"the largest ttl is far in the future", huge, now.Add(huge).Truncate(time.Millisecond).Add(time.Millisecond), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := expiry.At(now, tt.ttl)
			if ok == tt.never || !got.Equal(tt.want) {
				t.Errorf("At(%v) = %v, %v; want %v, %v", tt.ttl, got, ok, tt.want, !tt.never)
			}
		})
	}
}

func TestUnixNanoSaturates(t *testing.T) {
	now := time.Unix(1_800_000_000, 7)
	tests := []struct {
		name string
		ttl  time.Duration
		want int64
	}{
		{"zero ttl never expires", 0, 0},
		{"negative ttl never expires", -time.Hour, 0},
		{"exact nanoseconds", time.Second, 1_800_000_001_000_000_007},
		{"the largest ttl clamps instead of wrapping", huge, math.MaxInt64},
		{"just under the largest ttl clamps too", huge - 1, math.MaxInt64},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := expiry.UnixNano(now, tt.ttl); got != tt.want {
				t.Errorf("UnixNano(%v) = %d; want %d", tt.ttl, got, tt.want)
			}
		})
	}
}

func TestUnixMilliRoundsUp(t *testing.T) {
	now := time.Unix(100, 500) // 500 ns past a millisecond
	tests := []struct {
		name      string
		ttl       time.Duration
		ms, secs  int64
		wantNever bool
	}{
		{"zero ttl never expires", 0, 0, 0, true},
		{"negative ttl never expires", -time.Second, 0, 0, true},
		{"milliseconds round up", time.Millisecond, 100_002, 101, false},
		{"seconds round up", time.Second - 500, 101_000, 101, false},
		{"an hour", time.Hour, 3_700_001, 3701, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ms, secs, ok := expiry.UnixMilli(now, tt.ttl)
			if ok == tt.wantNever || ms != tt.ms || secs != tt.secs {
				t.Errorf("UnixMilli(%v) = %d ms, %d s, %v; want %d, %d, %v", tt.ttl, ms, secs, ok, tt.ms, tt.secs, !tt.wantNever)
			}
		})
	}
	if ms, secs, ok := expiry.UnixMilli(now, huge); !ok || ms <= 0 || secs <= 0 || secs*1000 < ms {
		t.Errorf("UnixMilli(largest ttl) = %d ms, %d s, %v; want positive, rounded up", ms, secs, ok)
	}
}

func TestMemcached(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	const day = 24 * time.Hour
	tests := []struct {
		name string
		ttl  time.Duration
		want int32
	}{
		{"zero is no expiry", 0, 0},
		{"negative is no expiry", -time.Hour, 0},
		{"a nanosecond rounds up to one second", time.Nanosecond, 1},
		{"one second", time.Second, 1},
		{"a bit over a second rounds up", time.Second + time.Millisecond, 2},
		{"30 days is still relative", 30 * day, 30 * 24 * 3600},
		{"past 30 days is an absolute time", 30*day + time.Second, 1_800_000_000 + 30*24*3600 + 1},
		{"past 2038 is no expiry", 100 * 365 * day, 0},
		{"the largest duration does not overflow", huge, 0},
		{"just under the largest duration does not overflow", huge - 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := expiry.Memcached(now, tt.ttl); got != tt.want {
				t.Errorf("Memcached(%v) = %d; want %d", tt.ttl, got, tt.want)
			}
		})
	}
	t.Run("an absolute time rounds up a fraction of a second", func(t *testing.T) {
		now := time.Unix(1_800_000_000, 900_000_000)
		if got, want := expiry.Memcached(now, 30*day+time.Second), int32(1_800_000_000+30*24*3600+2); got != want {
			t.Errorf("Memcached = %d; want %d", got, want)
		}
	})
}

func TestRound(t *testing.T) {
	tests := []struct {
		name      string
		ttl, unit time.Duration
		want      time.Duration
	}{
		{"zero stays zero", 0, time.Millisecond, 0},
		{"negative is zero", -time.Second, time.Millisecond, 0},
		{"a nanosecond rounds up to a millisecond", 1, time.Millisecond, time.Millisecond},
		{"whole units stay", 3 * time.Millisecond, time.Millisecond, 3 * time.Millisecond},
		{"a fraction rounds up", 3*time.Millisecond + 1, time.Millisecond, 4 * time.Millisecond},
		{"the largest ttl does not overflow", huge, time.Millisecond, huge},
		{"seconds", 1500 * time.Millisecond, time.Second, 2 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := expiry.Round(tt.ttl, tt.unit); got != tt.want {
				t.Errorf("Round(%v, %v) = %v; want %v", tt.ttl, tt.unit, got, tt.want)
			}
		})
	}
}

func TestAddSaturates(t *testing.T) {
	if got := expiry.Add(time.Hour, time.Second); got != time.Hour+time.Second {
		t.Errorf("Add(1h, 1s) = %v", got)
	}
	if got := expiry.Add(huge-10, time.Second); got != huge {
		t.Errorf("Add(largest-10ns, 1s) = %v; want the largest Duration", got)
	}
}

func TestPassed(t *testing.T) {
	at := time.Unix(100, 0)
	tests := []struct {
		name    string
		expires time.Time
		now     time.Time
		want    bool
	}{
		{"zero never passes", time.Time{}, time.Unix(1<<40, 0), false},
		{"before the expiry", at, at.Add(-1), false},
		{"at the expiry", at, at, true},
		{"after the expiry", at, at.Add(1), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := expiry.Passed(tt.expires, tt.now); got != tt.want {
				t.Errorf("Passed(%v, %v) = %v; want %v", tt.expires, tt.now, got, tt.want)
			}
		})
	}
}

// Each store records the expiry of one Set in its own unit.
func Example() {
	now := time.Date(2030, 1, 2, 3, 4, 5, 600, time.UTC)
	ttl := 90*time.Second + 1

	at, _ := expiry.At(now, ttl)
	fmt.Println("BSON date:", at.Format(time.RFC3339Nano))
	ms, secs, _ := expiry.UnixMilli(now, ttl)
	fmt.Println("DynamoDB exp, ttl:", ms, secs)
	fmt.Println("memcached exptime:", expiry.Memcached(now, ttl))
	fmt.Println("Redis PX:", expiry.Round(ttl, time.Millisecond))
	fmt.Println("bbolt, largest ttl:", expiry.UnixNano(now, math.MaxInt64))
	// Output:
	// BSON date: 2030-01-02T03:05:35.001Z
	// DynamoDB exp, ttl: 1893553535001 1893553536
	// memcached exptime: 91
	// Redis PX: 1m30.001s
	// bbolt, largest ttl: 9223372036854775807
}
