package inspect

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
)

// Cross-site request forgery protection for the delete and purge forms,
// in three independent layers:
//
//  1. Only POST changes anything; GET and HEAD never do.
//  2. http.CrossOriginProtection refuses requests whose Sec-Fetch-Site
//     says cross-site or same-site, or whose Origin is not the Host (nor a
//     trusted origin).
//  3. A token: the browser holds a random nonce in a cookie (HttpOnly,
//     SameSite=Strict), and each form carries HMAC-SHA256(secret, nonce).
//     A page on another site can neither read the form's token nor make
//     one for the nonce, which it cannot read either.

// csrfCookie names the cookie holding the browser's nonce.
const csrfCookie = "cachedhttp_inspect_csrf"

const nonceLen = 16

var b64 = base64.RawURLEncoding

// nonce returns the request's nonce, or makes one and sets the cookie.
func (h *Handler) nonce(w http.ResponseWriter, r *http.Request) []byte {
	if n, ok := cookieNonce(r); ok {
		return n
	}
	n := make([]byte, nonceLen)
	_, _ = rand.Read(n) // crypto/rand.Read never fails (Go 1.24+)
	// No Path: the browser scopes the cookie to the directory the page is
	// served from, that is the prefix the inspector is mounted under.
	http.SetCookie(w, &http.Cookie{
		Name: csrfCookie, Value: b64.EncodeToString(n),
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil,
	})
	return n
}

func cookieNonce(r *http.Request) ([]byte, bool) {
	c, err := r.Cookie(csrfCookie)
	if err != nil {
		return nil, false
	}
	n, err := b64.DecodeString(c.Value)
	if err != nil || len(n) != nonceLen {
		return nil, false
	}
	return n, true
}

// token returns the form token for the request's nonce (set in the
// response when the request had none).
func (h *Handler) token(w http.ResponseWriter, r *http.Request) string {
	return h.tokenFor(h.nonce(w, r))
}

func (h *Handler) tokenFor(nonce []byte) string {
	m := hmac.New(sha256.New, h.secret)
	m.Write([]byte("cachedhttp inspect csrf\x00"))
	m.Write(nonce)
	return b64.EncodeToString(m.Sum(nil))
}

// checkPost applies the three layers to a form post whose body has been
// parsed; the error says which one refused it.
func (h *Handler) checkPost(r *http.Request) error {
	if h.opt.ReadOnly {
		return ErrReadOnly
	}
	if err := h.cop.Check(r); err != nil {
		return fmt.Errorf("%w (%w)", ErrCrossOrigin, err)
	}
	n, ok := cookieNonce(r)
	if !ok {
		return fmt.Errorf("%w: no %s cookie", ErrBadToken, csrfCookie)
	}
	got, err := b64.DecodeString(r.PostForm.Get("csrf"))
	want, _ := b64.DecodeString(h.tokenFor(n))
	if err != nil || !hmac.Equal(got, want) {
		return fmt.Errorf("%w: the form's token does not match the cookie", ErrBadToken)
	}
	return nil
}
