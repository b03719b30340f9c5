package policy

import (
	"testing"
	"time"
)

func TestExpireAfter(t *testing.T) {
	tests := []struct {
		name string
		d    time.Duration
		want Expiry
	}{
		{"zero means expire immediately, never unset", 0, ExpireImmediately},
		{"a positive duration is a lifetime", time.Minute, Expiry(time.Minute)},
		{"NeverExpire keeps its value", time.Duration(NeverExpire), NeverExpire},
		{"DoNotCache keeps its value", time.Duration(DoNotCache), DoNotCache},
		{"ExpireImmediately keeps its value", time.Duration(ExpireImmediately), ExpireImmediately},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ExpireAfter(tt.d); got != tt.want {
				t.Errorf("ExpireAfter(%v) = %v, want %v", tt.d, got, tt.want)
			}
		})
	}
}

func TestExpiryZeroIsUnset(t *testing.T) {
	var p Policy
	var ctl Controls
	var r Rule
	if p.Expire != Unset || ctl.Expire != Unset || r.Expire != Unset || Expiry(0).String() != "unset" {
		t.Errorf("zero Expiry is not Unset: %v %v %v", p.Expire, ctl.Expire, r.Expire)
	}
}
