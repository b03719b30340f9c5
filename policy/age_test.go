package policy

import (
	"testing"
	"time"

	"github.com/cachedhttp/cachedhttp/models"
)

func TestAge(t *testing.T) {
	tests := []struct {
		name    string
		h       []string
		reqTime time.Time
		now     time.Duration
		want    time.Duration
	}{
		{"RFC9111 4.2.3 resident time", []string{"Date", httpDate(t0)}, t0, 30 * time.Second, 30 * time.Second},
		{"RFC9111 4.2.3 Age header plus resident time", []string{"Date", httpDate(t0), "Age", "100"}, t0, 30 * time.Second, 130 * time.Second},
		{"RFC9111 4.2.3 apparent age from Date", []string{"Date", httpDate(at(-time.Minute))}, t0, 0, time.Minute},
		{"RFC9111 4.2.3 corrected age uses the larger estimate", []string{"Date", httpDate(at(-time.Minute)), "Age", "200"}, t0, 0, 200 * time.Second},
		{"RFC9111 4.2.3 response delay added to Age", []string{"Date", httpDate(t0), "Age", "10"}, at(-5 * time.Second), 0, 15 * time.Second},
		{"RFC9111 4.2.3 Date in the future gives no negative age", []string{"Date", httpDate(at(time.Hour))}, t0, 0, 0},
		{"RFC9111 4.2.3 now before response time gives no negative age", []string{"Date", httpDate(t0)}, t0, -time.Hour, 0},
		{"RFC9111 5.1 invalid Age ignored", []string{"Date", httpDate(t0), "Age", "1.5"}, t0, 0, 0},
		{"RFC9111 5.1 list Age uses first member", []string{"Date", httpDate(t0), "Age", "7, 9"}, t0, 0, 7 * time.Second},
		{"RFC9111 5.1 Age on several lines uses the first", []string{"Date", httpDate(t0), "Age", "7", "Age", "9"}, t0, 0, 7 * time.Second},
		{"RFC9111 1.2.2 huge Age saturates at 2^31 seconds", []string{"Age", "1000000000000000000000000"}, t0, time.Hour, maxAge},
		{"RFC9111 4.2.3 invalid Date means no apparent age", []string{"Date", "yesterday"}, t0, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &models.Response{Header: hdr(tt.h...), RequestTime: tt.reqTime, ResponseTime: t0}
			if got := Age(rec, at(tt.now)); got != tt.want {
				t.Errorf("Age = %v, want %v", got, tt.want)
			}
		})
	}
	if got := Age(nil, t0); got != 0 {
		t.Errorf("Age(nil) = %v", got)
	}
}
