package policy

import (
	"net/http"
	"strings"
	"time"

	"github.com/cachedhttp/cachedhttp/models"
)

// maxAge is the largest age this package reports: 2^31 seconds (RFC 9111
// §1.2.2 lets a cache use it for any value or calculation that overflows).
const maxAge = time.Duration(maxDeltaSeconds) * time.Second

func saturate(d time.Duration) time.Duration {
	switch {
	case d < 0:
		return 0
	case d > maxAge:
		return maxAge
	}
	return d
}

// ageValue reads the Age field (RFC 9111 §5.1). A list-based value is read
// as its first member; an invalid one (not a non-negative integer) is
// ignored, as §5.1 says a cache SHOULD; a huge one saturates at 2^31 s.
func ageValue(h http.Header) time.Duration {
	vals := h["Age"]
	if len(vals) == 0 {
		return 0
	}
	v := vals[0]
	if i := strings.IndexByte(v, ','); i >= 0 {
		v = v[:i]
	}
	n, ok := parseDelta(strings.Trim(v, " \t"))
	if !ok {
		return 0
	}
	return time.Duration(n) * time.Second
}

// dateValue returns the Date field of h, or respTime when it is missing or
// invalid (RFC 9110 §6.6.1: a recipient records the time of receipt for a
// response without Date).
func dateValue(h http.Header, respTime time.Time) time.Time {
	if vals := h["Date"]; len(vals) > 0 {
		if t, ok := parseHTTPDate(vals[0], respTime); ok {
			return t
		}
	}
	return respTime
}

// correctedInitialAge is RFC 9111 §4.2.3's corrected_initial_age.
func correctedInitialAge(h http.Header, reqTime, respTime time.Time) time.Duration {
	return correctedInitialAgeAt(h, dateValue(h, respTime), reqTime, respTime)
}

// correctedInitialAgeAt is correctedInitialAge with the date_value already
// read from h (dateValue).
func correctedInitialAgeAt(h http.Header, date, reqTime, respTime time.Time) time.Duration {
	apparent := saturate(respTime.Sub(date))
	var delay time.Duration
	if !reqTime.IsZero() {
		delay = saturate(respTime.Sub(reqTime))
	}
	corrected := saturate(ageValue(h) + delay)
	return max(apparent, corrected)
}

// age is RFC 9111 §4.2.3's current_age: corrected_initial_age plus the
// resident time, never negative, saturating at 2^31 seconds.
func age(rec *models.Response, now time.Time) time.Duration {
	if rec == nil {
		return 0
	}
	return ageAt(correctedInitialAge(rec.Header, rec.RequestTime, rec.ResponseTime), rec, now)
}

// ageAt is age with rec's corrected_initial_age already computed (cia).
func ageAt(cia time.Duration, rec *models.Response, now time.Time) time.Duration {
	return saturate(cia + saturate(now.Sub(rec.ResponseTime)))
}
