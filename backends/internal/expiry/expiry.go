package expiry

import (
	"math"
	"time"
)

// maxUnixNano is the latest instant Unix nanoseconds can hold (year 2262).
var maxUnixNano = time.Unix(0, math.MaxInt64)

// memcachedRelativeMax is the longest exptime memcached reads as relative
// seconds; a larger one is an absolute Unix time.
const memcachedRelativeMax = 30 * 24 * 60 * 60

// At returns when a value stored at now with ttl expires, rounded up to the
// millisecond (what BSON dates and DynamoDB's exp attribute hold), and true;
// or the zero Time and false when it never expires (ttl <= 0). It does not
// overflow: time.Time holds far more than now plus the largest ttl.
func At(now time.Time, ttl time.Duration) (time.Time, bool) {
	if ttl <= 0 {
		return time.Time{}, false
	}
	e := now.Add(ttl)
	r := e.Truncate(time.Millisecond)
	if r.Before(e) {
		r = r.Add(time.Millisecond)
	}
	return r, true
}

// UnixNano returns when a value stored at now with ttl expires, in Unix
// nanoseconds, exactly: 0 when it never expires (ttl <= 0), and
// math.MaxInt64 when the instant lies past what an int64 of nanoseconds
// holds (after 2262), so that a huge ttl does not wrap into the past.
func UnixNano(now time.Time, ttl time.Duration) int64 {
	if ttl <= 0 {
		return 0
	}
	e := now.Add(ttl)
	if e.After(maxUnixNano) {
		return math.MaxInt64
	}
	return e.UnixNano()
}

// UnixMilli returns At in Unix milliseconds, and Unix seconds rounded up
// (DynamoDB's TTL attribute counts seconds); ok is false when the value
// never expires.
func UnixMilli(now time.Time, ttl time.Duration) (ms, secs int64, ok bool) {
	at, ok := At(now, ttl)
	if !ok {
		return 0, 0, false
	}
	ms = at.UnixMilli()
	return ms, (ms + 999) / 1000, true
}

// Memcached returns memcached's exptime for ttl: whole seconds rounded up,
// relative up to 30 days and an absolute Unix time (rounded up) beyond, as
// memcached reads it. It returns 0, which memcached reads as "never", for
// ttl <= 0 and for an absolute time past what its int32 holds (2038).
func Memcached(now time.Time, ttl time.Duration) int32 {
	if ttl <= 0 {
		return 0
	}
	if secs := Round(ttl, time.Second) / time.Second; secs <= memcachedRelativeMax {
		return int32(secs)
	}
	e := now.Add(ttl)
	abs := e.Unix()
	if e.After(time.Unix(abs, 0)) {
		abs++
	}
	if abs > math.MaxInt32 {
		return 0
	}
	return int32(abs)
}

// Round returns ttl rounded up to a whole number of unit (Redis PX counts
// milliseconds), or ttl itself when rounding up would overflow; zero for
// ttl <= 0.
func Round(ttl, unit time.Duration) time.Duration {
	if ttl <= 0 {
		return 0
	}
	rem := ttl % unit
	if rem == 0 || ttl > math.MaxInt64-(unit-rem) {
		return ttl
	}
	return ttl + unit - rem
}

// Add returns ttl plus d, saturating at the largest Duration instead of
// overflowing (memcached chunks outlive their head by a second).
func Add(ttl, d time.Duration) time.Duration {
	if d > 0 && ttl > math.MaxInt64-d {
		return math.MaxInt64
	}
	return ttl + d
}

// Passed reports whether an expiry has passed at now; the zero Time never
// passes.
func Passed(expires, now time.Time) bool {
	return !expires.IsZero() && !now.Before(expires)
}
