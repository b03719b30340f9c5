package serializers

import "io"

// SetNonceSource makes an Encrypt stage read its nonces from r, so golden
// records can be generated deterministically. Tests only.
func SetNonceSource(s Stage, r io.Reader) {
	s.(*encryptStage).nonces = r
}
