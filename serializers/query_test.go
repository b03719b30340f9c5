package serializers_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/cachedhttp/cachedhttp/serializers"
	"github.com/cachedhttp/cachedhttp/serializers/internal/serializertest"
)

func TestFromQuery(t *testing.T) {
	signSecret := bytes.Repeat([]byte{0x42}, 32)
	encSecret := bytes.Repeat([]byte{0x24}, 32)
	t.Setenv("CACHEDHTTP_TEST_SIGN", "s1:"+hex.EncodeToString(signSecret)+",s0:"+base64.StdEncoding.EncodeToString(signSecret))
	t.Setenv("CACHEDHTTP_TEST_ENC", "e1:"+base64.RawURLEncoding.EncodeToString(encSecret))
	t.Setenv("CACHEDHTTP_TEST_EMPTY", "")
	t.Setenv("CACHEDHTTP_TEST_SHORT", "e1:"+hex.EncodeToString(encSecret[:16]))
	tests := []struct {
		query  string
		header string // the header the serializer writes
		rest   url.Values
	}{
		{"", "cachedhttp v2 compact zstd", url.Values{}},
		{"serializer=compact&path=%2Fx&timeout=3s", "cachedhttp v2 compact zstd", url.Values{"path": {"/x"}, "timeout": {"3s"}}},
		{"serializer=msgpack", "cachedhttp v1 msgpack zstd", url.Values{}},
		{"serializer=msgpack&compress=none", "cachedhttp v1 msgpack", url.Values{}},
		{"serializer=json", "cachedhttp v1 json", url.Values{}},
		{"serializer=json&compress=gzip", "cachedhttp v1 json gzip", url.Values{}},
		{"compress=none", "cachedhttp v2 compact", url.Values{}},
		{"compress=gzip&compress_level=9", "cachedhttp v2 compact gzip", url.Values{}},
		{"compress_level=19", "cachedhttp v2 compact zstd", url.Values{}},
		{"sign_key_env=CACHEDHTTP_TEST_SIGN", "cachedhttp v2 compact zstd hmac-sha256:s1", url.Values{}},
		{"encrypt_key_env=CACHEDHTTP_TEST_ENC&sign_key_env=CACHEDHTTP_TEST_SIGN&compress=none",
			"cachedhttp v2 compact aes-256-gcm:e1 hmac-sha256:s1", url.Values{}},
	}
	for _, tt := range tests {
		t.Run("accepts "+tt.query, func(t *testing.T) {
			q, err := url.ParseQuery(tt.query)
			if err != nil {
				t.Fatal(err)
			}
			s, rest, err := serializers.FromQuery(q)
			if err != nil {
				t.Fatal(err)
			}
			rec := serializertest.MustMarshal(t, s, serializertest.EdgeCases()["full response"])
			h, err := serializers.Inspect(rec)
			if err != nil {
				t.Fatal(err)
			}
			if h.String() != tt.header {
				t.Fatalf("writes %q, want %q", h, tt.header)
			}
			if !reflect.DeepEqual(rest, tt.rest) {
				t.Fatalf("remaining parameters %v, want %v", rest, tt.rest)
			}
			if _, err := s.Unmarshal(rec); err != nil {
				t.Fatalf("does not read its own record: %v", err)
			}
		})
	}
	errTests := []struct{ query, reason string }{
		{"serializer=xml", `serializer="xml": cachedhttp/serializers: unknown codec "xml" (registered: `},
		{"serializer=bson", `serializer="bson": cachedhttp/serializers: unknown codec "bson": it is not registered in this program; add import _ "github.com/cachedhttp/cachedhttp/serializers/bsoncodec"`},
		{"compress=lz4", `compress="lz4": unknown compression`},
		{"compress_level=fast", `compress_level="fast": not an integer`},
		{"compress_level=30", "level 30 out of range"},
		{"compress=none&compress_level=3", "compress_level without compression"},
		{"serializer=json&compress_level=3", "compress_level without compression"},
		{"serializer=json&serializer=bson", "serializer given 2 times"},
		{"sign_key_env=CACHEDHTTP_TEST_UNSET", "environment variable CACHEDHTTP_TEST_UNSET is not set"},
		{"sign_key_env=CACHEDHTTP_TEST_EMPTY", "environment variable CACHEDHTTP_TEST_EMPTY is not set"},
		{"sign_key_env=", "sign_key_env is empty"},
		{"encrypt_key_env=CACHEDHTTP_TEST_SHORT", `key "e1" has 16 bytes`},
	}
	for _, tt := range errTests {
		t.Run("rejects "+tt.query, func(t *testing.T) {
			q, err := url.ParseQuery(tt.query)
			if err != nil {
				t.Fatal(err)
			}
			_, _, err = serializers.FromQuery(q)
			if err == nil {
				t.Fatal("FromQuery succeeded")
			}
			if !strings.Contains(err.Error(), tt.reason) {
				t.Fatalf("error %q does not name %q", err, tt.reason)
			}
			if strings.Contains(err.Error(), hex.EncodeToString(encSecret[:16])) {
				t.Fatalf("error %q contains a secret", err)
			}
		})
	}
}

func TestFromQueryDefaultIsDefault(t *testing.T) {
	s, _, err := serializers.FromQuery(url.Values{})
	if err != nil {
		t.Fatal(err)
	}
	if s != serializers.Default() {
		t.Fatal("FromQuery with no parameters does not return Default")
	}
}

func TestParseKeys(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	tests := []struct {
		name string
		in   string
		want []serializers.Key
	}{
		{"hex with id", "k1:" + hex.EncodeToString(secret), []serializers.Key{{ID: "k1", Secret: secret}}},
		{"standard base64", "k1:" + base64.StdEncoding.EncodeToString(secret), []serializers.Key{{ID: "k1", Secret: secret}}},
		{"unpadded URL base64", "k1:" + base64.RawURLEncoding.EncodeToString(secret[:31]), []serializers.Key{{ID: "k1", Secret: secret[:31]}}},
		{"several keys, spaces trimmed", "new:" + hex.EncodeToString(secret) + " , old:" + hex.EncodeToString(secret[:16]),
			[]serializers.Key{{ID: "new", Secret: secret}, {ID: "old", Secret: secret[:16]}}},
		{"no id derives a stable one from the secret", hex.EncodeToString(secret), []serializers.Key{{ID: "k3eb1bd43", Secret: secret}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := serializers.ParseKeys(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("ParseKeys = %+v, want %+v", got, tt.want)
			}
		})
	}
	for _, bad := range []struct{ name, in, reason string }{
		{"empty", "", "key 1 is empty"},
		{"trailing comma", "k:00ff,", "key 2 is empty"},
		{"not hex nor base64", "k:not*base64!", "key 1: secret is neither hex nor base64"},
		{"bad id", "a b:00ff", "key 1: key id"},
	} {
		t.Run("rejects "+bad.name, func(t *testing.T) {
			_, err := serializers.ParseKeys(bad.in)
			if err == nil || !strings.Contains(err.Error(), bad.reason) {
				t.Fatalf("error %v, want one naming %q", err, bad.reason)
			}
		})
	}
}
