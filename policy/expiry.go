package policy

import "time"

// Expiry is a user-chosen freshness lifetime: a positive value is a
// duration, the negative constants below have special meanings, and zero is
// Unset everywhere in this package (Policy.Expire, Rule.Expire,
// Controls.Expire), so that the zero Policy and the zero Controls follow
// HTTP. A duration the user states explicitly, where zero means "expire
// immediately" (requests-cache's expire_after=0), becomes an Expiry through
// ExpireAfter.
type Expiry time.Duration

const (
	// Unset means the user chose nothing: HTTP decides.
	Unset Expiry = 0
	// NeverExpire keeps a response fresh forever.
	NeverExpire Expiry = -1
	// DoNotCache never stores the response.
	DoNotCache Expiry = -2
	// ExpireImmediately stores the response but revalidates it before
	// every use.
	ExpireImmediately Expiry = -3
)

// ExpireAfter returns the Expiry of a duration the user chose explicitly,
// as an option's argument: d itself when positive or one of the special
// constants' values (time.Duration(NeverExpire) is NeverExpire), and
// ExpireImmediately for zero. It never returns Unset: not choosing is the
// way to leave the expiry unset.
func ExpireAfter(d time.Duration) Expiry {
	if d == 0 {
		return ExpireImmediately
	}
	return Expiry(d)
}

// String returns "unset", "never", "do-not-cache", "expire-immediately" or
// the duration.
func (e Expiry) String() string {
	switch e {
	case Unset:
		return "unset"
	case NeverExpire:
		return "never"
	case DoNotCache:
		return "do-not-cache"
	case ExpireImmediately:
		return "expire-immediately"
	}
	return time.Duration(e).String()
}
