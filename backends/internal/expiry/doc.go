// Package expiry turns the time to live a caller gives Backend.Set into the
// expiry a store records, in the store's own unit, and answers whether a
// recorded expiry has passed.
//
// The nouns: a ttl is the time.Duration given to Set (zero or less: the
// value never expires); an expiry is the instant the value stops being
// served, written in the unit the store keeps: a time.Time at millisecond
// precision for BSON dates (At), Unix nanoseconds (UnixNano), Unix
// milliseconds and seconds for DynamoDB (UnixMilli, Unix), memcached's
// exptime (Memcached), or a relative duration rounded to a unit for Redis
// PX (Round).
//
// Every conversion rounds up, so that a value is never dropped before its
// ttl, and saturates instead of overflowing: the largest ttl,
// time.Duration(math.MaxInt64), is about 292 years and must still mean "far
// in the future", never a date in the past.
package expiry
