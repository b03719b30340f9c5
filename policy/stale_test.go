package policy

import (
	"net/http"
	"testing"
	"time"

	"github.com/cachedhttp/cachedhttp/models"
)

func TestStaleIfError(t *testing.T) {
	tests := []struct {
		name      string
		p         Policy
		respH     []string
		reqH      []string
		recMethod string
		status    int
		now       time.Duration
		noRec     bool
		want      bool
	}{
		{name: "RFC5861 4 response stale-if-error window on 500", respH: []string{"Cache-Control", "max-age=60, stale-if-error=60"},
			status: 500, now: 90 * time.Second, want: true},
		{name: "RFC5861 4 stale-if-error on transport error", respH: []string{"Cache-Control", "max-age=60, stale-if-error=60"},
			status: 0, now: 90 * time.Second, want: true},
		{name: "RFC5861 4 stale-if-error on 502 503 504", respH: []string{"Cache-Control", "max-age=60, stale-if-error=60"},
			status: 503, now: 90 * time.Second, want: true},
		{name: "RFC5861 4 stale-if-error window over", respH: []string{"Cache-Control", "max-age=60, stale-if-error=60"},
			status: 500, now: 130 * time.Second, want: false},
		{name: "RFC5861 4 not for 404", respH: []string{"Cache-Control", "max-age=60, stale-if-error=60"},
			status: 404, now: 90 * time.Second, want: false},
		{name: "RFC5861 4 not for 501", respH: []string{"Cache-Control", "max-age=60, stale-if-error=60"},
			status: 501, now: 90 * time.Second, want: false},
		{name: "RFC5861 4 request stale-if-error", reqH: []string{"Cache-Control", "stale-if-error=600"},
			respH: []string{"Cache-Control", "max-age=60"}, status: 500, now: 5 * time.Minute, want: true},
		{name: "RFC9111 5.2.1.2 request max-stale allows stale on error", reqH: []string{"Cache-Control", "max-stale"},
			respH: []string{"Cache-Control", "max-age=60"}, status: 0, now: time.Hour, want: true},
		{name: "Policy StaleIfErrorWindow", p: Policy{StaleIfErrorWindow: time.Hour},
			respH: []string{"Cache-Control", "max-age=60"}, status: 502, now: 30 * time.Minute, want: true},
		{name: "RFC9111 4.2.4 no window no stale on error", respH: []string{"Cache-Control", "max-age=60"},
			status: 500, now: 90 * time.Second, want: false},
		{name: "RFC9111 5.2.2.2 must-revalidate forbids stale-if-error", p: Policy{StaleIfErrorWindow: time.Hour},
			respH: []string{"Cache-Control", "max-age=60, must-revalidate, stale-if-error=600"}, status: 500, now: 90 * time.Second, want: false},
		{name: "RFC9111 4.2.4 no-cache forbids stale-if-error", p: Policy{StaleIfErrorWindow: time.Hour},
			respH: []string{"Cache-Control", "max-age=60, no-cache"}, status: 500, now: 90 * time.Second, want: false},
		{name: "RFC9111 5.2.2.8 proxy-revalidate forbids stale-if-error in shared cache", p: Policy{Shared: true, StaleIfErrorWindow: time.Hour},
			respH: []string{"Cache-Control", "max-age=60, proxy-revalidate"}, status: 500, now: 90 * time.Second, want: false},
		{name: "RFC9111 5.2.2.8 proxy-revalidate ignored by private cache", p: Policy{StaleIfErrorWindow: time.Hour},
			respH: []string{"Cache-Control", "max-age=60, proxy-revalidate"}, status: 500, now: 90 * time.Second, want: true},
		{name: "fresh record may answer on error", respH: []string{"Cache-Control", "max-age=60"}, status: 500,
			now: 30 * time.Second, want: true},
		{name: "HEAD record cannot answer GET on error", recMethod: http.MethodHead, p: Policy{StaleIfErrorWindow: time.Hour},
			respH: []string{"Cache-Control", "max-age=60"}, status: 500, now: 90 * time.Second, want: false},
		{name: "no record no stale", noRec: true, status: 500, want: false},
		{name: "RFC5861 4 StaleIfErrorCodes adds 429", p: Policy{StaleIfErrorCodes: []int{429, 500, 502, 503, 504}},
			respH: []string{"Cache-Control", "max-age=60, stale-if-error=60"}, status: 429, now: 90 * time.Second, want: true},
		{name: "RFC5861 4 StaleIfErrorCodes replaces the default", p: Policy{StaleIfErrorCodes: []int{429}},
			respH: []string{"Cache-Control", "max-age=60, stale-if-error=60"}, status: 500, now: 90 * time.Second, want: false},
		{name: "RFC5861 4 StaleIfErrorCodes with 4xx", p: Policy{StaleIfErrorCodes: []int{404, 501}, StaleIfErrorWindow: time.Hour},
			respH: []string{"Cache-Control", "max-age=60"}, status: 404, now: 30 * time.Minute, want: true},
		{name: "RFC5861 4 transport error whatever StaleIfErrorCodes says", p: Policy{StaleIfErrorCodes: []int{}},
			respH: []string{"Cache-Control", "max-age=60, stale-if-error=60"}, status: 0, now: 90 * time.Second, want: true},
		{name: "RFC5861 4 empty StaleIfErrorCodes means no status is an error", p: Policy{StaleIfErrorCodes: []int{}},
			respH: []string{"Cache-Control", "max-age=60, stale-if-error=60"}, status: 503, now: 90 * time.Second, want: false},
		{name: "RFC5861 4 a success is never an error", respH: []string{"Cache-Control", "max-age=60, stale-if-error=60"},
			status: 200, now: 90 * time.Second, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rec *models.Response
			if !tt.noRec {
				m := tt.recMethod
				if m == "" {
					m = http.MethodGet
				}
				rr := newReq(t, m, "https://example.com/a")
				rec = stored(t, &tt.p, rr, newResp(rr, 200, append([]string{"Date", httpDate(t0), "Etag", `"e"`}, tt.respH...)...), t0)
			}
			if got := tt.p.StaleIfError(get(t, tt.reqH...), rec, tt.status, at(tt.now)); got != tt.want {
				t.Errorf("StaleIfError = %v, want %v", got, tt.want)
			}
		})
	}
}
