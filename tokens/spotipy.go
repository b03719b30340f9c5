package tokens

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/oauth2"
)

// The fields of spotipy's token JSON, in the order spotipy writes them:
// the token endpoint's response (access_token, token_type, expires_in,
// refresh_token, scope) followed by the expires_at spotipy adds.
const (
	fieldAccessToken  = "access_token"
	fieldTokenType    = "token_type"
	fieldExpiresIn    = "expires_in"
	fieldRefreshToken = "refresh_token"
	fieldScope        = "scope"
	fieldExpiresAt    = "expires_at"
)

// spotipyFields are the fields encodeSpotipy writes from Token's own
// fields; every other field is an extra.
var spotipyFields = []string{fieldAccessToken, fieldTokenType, fieldExpiresIn, fieldRefreshToken, fieldScope, fieldExpiresAt}

// extraNamesKey is the Token extra under which a decoded token lists the
// names of its other fields. oauth2.Token offers no way to enumerate its
// extras, so this is how a token that was loaded and saved again keeps the
// fields spotipy or another tool wrote. No token endpoint sends this name.
const extraNamesKey = "\x00cachedhttp/tokens extra names"

// knownExtras are extras kept from tokens fetched from a token endpoint
// (whose other fields cannot be enumerated).
var knownExtras = []string{"id_token"}

// maxUnixSeconds bounds expires_at (about the year 5000), so that a
// corrupt value cannot overflow a time.Time.
const maxUnixSeconds = 1e11

// encodeSpotipy returns tok as spotipy writes it, byte for byte what
// Python's json.dumps writes for the same fields in this order (its
// separators and ASCII escapes): access_token, token_type, expires_in, refresh_token (when
// set), scope (a space-separated string, or null when empty, as spotipy
// writes a token obtained without scope), expires_at (Unix seconds), then
// the extras in name order. expires_in comes from tok.ExpiresIn, or from
// Expiry and now when that is zero; both expiry fields are left out for a
// token that does not expire.
func encodeSpotipy(tok *oauth2.Token, now time.Time) ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	first := true
	var err error
	put := func(name string, v any) {
		if err != nil {
			return
		}
		if !first {
			b.WriteString(", ")
		}
		first = false
		writeJSON(&b, name)
		b.WriteString(": ")
		if werr := writeJSON(&b, v); werr != nil {
			err = fmt.Errorf("field %q: %w", name, werr)
		}
	}
	put(fieldAccessToken, tok.AccessToken)
	typ := tok.TokenType
	if typ == "" {
		typ = "Bearer"
	}
	put(fieldTokenType, typ)
	if !tok.Expiry.IsZero() {
		in := tok.ExpiresIn
		if in == 0 {
			in = int64(tok.Expiry.Sub(now).Round(time.Second) / time.Second)
		}
		put(fieldExpiresIn, in)
	} else if tok.ExpiresIn != 0 {
		put(fieldExpiresIn, tok.ExpiresIn)
	}
	if tok.RefreshToken != "" {
		put(fieldRefreshToken, tok.RefreshToken)
	}
	if s := scopeOf(tok); s != "" {
		put(fieldScope, s)
	} else {
		put(fieldScope, nil)
	}
	if !tok.Expiry.IsZero() {
		put(fieldExpiresAt, tok.Expiry.Unix())
	}
	extras := extrasOf(tok)
	for _, name := range slices.Sorted(maps.Keys(extras)) {
		put(name, extras[name])
	}
	b.WriteByte('}')
	if err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// writeJSON appends the JSON of v as Python's json.dumps writes it: no
// HTML escaping, no line feed, and every non-ASCII character escaped as
// \uXXXX (ensure_ascii, lower-case hex, surrogate pairs beyond the BMP).
func writeJSON(b *bytes.Buffer, v any) error {
	var tmp bytes.Buffer
	enc := json.NewEncoder(&tmp)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	out := tmp.Bytes()[:tmp.Len()-1] // Encode's line feed
	for len(out) > 0 {
		r, size := utf8.DecodeRune(out)
		switch {
		case r == 0x7f: // json.dumps escapes everything outside ' '..'~'
			b.WriteString(`\u007f`)
		case r < utf8.RuneSelf:
			b.WriteByte(out[0])
		case r > 0xffff:
			r1, r2 := utf16.EncodeRune(r)
			fmt.Fprintf(b, "\\u%04x\\u%04x", r1, r2)
		default:
			fmt.Fprintf(b, "\\u%04x", r)
		}
		out = out[size:]
	}
	return nil
}

// extrasOf returns the extras of tok that encodeSpotipy writes: the fields a
// decoded token listed under extraNamesKey and the knownExtras.
func extrasOf(tok *oauth2.Token) map[string]any {
	names := knownExtras
	if listed, ok := tok.Extra(extraNamesKey).([]string); ok {
		names = append(slices.Clone(listed), knownExtras...)
	}
	out := map[string]any{}
	for _, name := range names {
		if slices.Contains(spotipyFields, name) || name == extraNamesKey {
			continue
		}
		if v := tok.Extra(name); v != nil {
			out[name] = v
		}
	}
	return out
}

// scopeOf returns the scope a token was granted, space-separated: its
// scope extra as a string, or as an array of strings (a form some servers
// send); "" when it has none.
func scopeOf(tok *oauth2.Token) string {
	switch s := tok.Extra(fieldScope).(type) {
	case string:
		return s
	case []string:
		return strings.Join(s, " ")
	case []any:
		parts := make([]string, 0, len(s))
		for _, p := range s {
			if str, ok := p.(string); ok {
				parts = append(parts, str)
			}
		}
		return strings.Join(parts, " ")
	}
	return ""
}

// errFormat is the cause of a decode error: what is wrong, never a value.
var errFormat = errors.New("not spotipy token JSON")

// decodeSpotipy parses a token in spotipy's JSON. It requires an object
// with a non-empty access_token string and fields of the right types where
// present; it accepts integer or fractional numbers, a scope that is a
// string, an array of strings or null, and keeps every field as an extra
// (numbers as json.Number), so that encodeSpotipy writes back what it read.
// A token with expires_in but no expires_at is taken as expired (its start
// is unknown); one with neither does not expire.
func decodeSpotipy(data []byte) (*oauth2.Token, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var raw map[string]any
	if err := dec.Decode(&raw); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, fmt.Errorf("%w: syntax error at byte %d", errFormat, se.Offset)
		}
		return nil, fmt.Errorf("%w: not a JSON object", errFormat)
	}
	if raw == nil {
		return nil, fmt.Errorf("%w: not a JSON object", errFormat)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: data after the object", errFormat)
	}
	tok := &oauth2.Token{}
	var ok bool
	if tok.AccessToken, ok = raw[fieldAccessToken].(string); !ok || tok.AccessToken == "" {
		return nil, fmt.Errorf("%w: no access_token string", errFormat)
	}
	var err error
	if tok.TokenType, err = optString(raw, fieldTokenType); err != nil {
		return nil, err
	}
	if tok.RefreshToken, err = optString(raw, fieldRefreshToken); err != nil {
		return nil, err
	}
	switch s := raw[fieldScope].(type) {
	case nil, string:
	case []any:
		for _, p := range s {
			if _, ok := p.(string); !ok {
				return nil, fmt.Errorf("%w: scope array holds a non-string", errFormat)
			}
		}
	default:
		return nil, fmt.Errorf("%w: scope is not a string", errFormat)
	}
	in, hasIn, err := optNumber(raw, fieldExpiresIn)
	if err != nil {
		return nil, err
	}
	tok.ExpiresIn = int64(in)
	at, hasAt, err := optNumber(raw, fieldExpiresAt)
	if err != nil {
		return nil, err
	}
	switch {
	case hasAt:
		sec, frac := math.Modf(at)
		tok.Expiry = time.Unix(int64(sec), int64(frac*1e9))
	case hasIn:
		tok.Expiry = time.Unix(0, 0)
	}
	names := make([]string, 0, len(raw))
	for name := range raw {
		if !slices.Contains(spotipyFields, name) && name != extraNamesKey {
			names = append(names, name)
		}
	}
	delete(raw, extraNamesKey)
	if len(names) > 0 {
		slices.Sort(names)
		raw[extraNamesKey] = names
	}
	return tok.WithExtra(raw), nil
}

func optString(raw map[string]any, name string) (string, error) {
	switch v := raw[name].(type) {
	case nil:
		return "", nil
	case string:
		return v, nil
	}
	return "", fmt.Errorf("%w: %s is not a string", errFormat, name)
}

// optNumber returns a finite number field within ±maxUnixSeconds, or
// ok=false when it is absent or null.
func optNumber(raw map[string]any, name string) (v float64, ok bool, err error) {
	switch n := raw[name].(type) {
	case nil:
		return 0, false, nil
	case json.Number:
		if i, ierr := strconv.ParseInt(string(n), 10, 64); ierr == nil {
			v = float64(i)
		} else if v, err = strconv.ParseFloat(string(n), 64); err != nil {
			return 0, false, fmt.Errorf("%w: %s is not a number", errFormat, name)
		}
		if math.IsNaN(v) || math.Abs(v) > maxUnixSeconds {
			return 0, false, fmt.Errorf("%w: %s out of range", errFormat, name)
		}
		return v, true, nil
	}
	return 0, false, fmt.Errorf("%w: %s is not a number", errFormat, name)
}
