package policy

import "time"

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
