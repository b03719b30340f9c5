package keys

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"strings"
	"testing"
)

func TestHMACMatchesCryptoHMAC(t *testing.T) {
	for _, n := range []int{0, 1, 32, 63, 64, 65, 200} {
		secret := []byte(strings.Repeat("k", n))
		msg := []byte("message " + strings.Repeat("m", n))
		t.Run(fmt.Sprintf("RFC2104 HMAC with a %d-byte key", n), func(t *testing.T) {
			s := getState()
			defer putState(s)
			got := s.hmacSum(secret, msg)
			m := hmac.New(sha256.New, secret)
			m.Write(msg)
			if want := m.Sum(nil); !bytes.Equal(got, want) {
				t.Errorf("hmacSum(%d-byte key) = %x, want %x", n, got, want)
			}
		})
	}
}

func TestPutStateWipesCredentials(t *testing.T) {
	s := getState()
	s.cred = append(s.cred[:0], "Bearer alice-token"...)
	s.sbuf = append(s.sbuf[:0], "api_key=s3cret"...)
	cred, sbuf := s.cred, s.sbuf
	putState(s)
	if bytes.Contains(cred[:cap(cred)], []byte("alice")) || bytes.Contains(sbuf[:cap(sbuf)], []byte("s3cret")) {
		t.Errorf("pooled state keeps credentials: %q %q", cred, sbuf)
	}
}
