package serializers

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
)

// Query parameters understood by FromQuery.
const (
	// ParamSerializer names the codec: compact, msgpack, json, bson (with
	// package serializers/bsoncodec imported) or another registered codec.
	ParamSerializer = "serializer"
	// ParamCompress names the compression: zstd, gzip or none.
	ParamCompress = "compress"
	// ParamCompressLevel sets the compression level.
	ParamCompressLevel = "compress_level"
	// ParamSignKeyEnv names the environment variable holding signing keys.
	ParamSignKeyEnv = "sign_key_env"
	// ParamEncryptKeyEnv names the environment variable holding encryption
	// keys.
	ParamEncryptKeyEnv = "encrypt_key_env"
)

// FromQuery builds a serializer from the query parameters of a backend DSN
// and returns the parameters it did not use, for the backend:
//
//	serializer=compact|msgpack|json|bson
//	                              the codec (default compact, format
//	                              version 2; msgpack writes version 1, which
//	                              earlier releases read); bson and other
//	                              registered codecs need their package
//	                              imported (see RegisterCodec, BSON)
//	compress=zstd|gzip|none       compression (default zstd, but none for json,
//	                              whose point is to be readable)
//	compress_level=N              zstd 1-22 or gzip 1-9 (default: see Zstd, Gzip)
//	encrypt_key_env=NAME          encrypt with AES-256-GCM, keys from $NAME
//	sign_key_env=NAME             sign with HMAC-SHA256, keys from $NAME
//
// Keys are never written in a DSN, which ends up in logs and process lists:
// the parameters name environment variables whose values ParseKeys reads.
// The stages run in the order compress, encrypt, sign. With no parameters
// FromQuery returns Default, and with compress=none alone it returns Plain. Unknown values, repeated
// parameters, a level without compression and unset variables are errors
// that name the parameter or variable (never a secret).
func FromQuery(q url.Values) (Serializer, url.Values, error) {
	rest := url.Values{}
	params := map[string]string{}
	for k, vs := range q {
		switch k {
		case ParamSerializer, ParamCompress, ParamCompressLevel, ParamSignKeyEnv, ParamEncryptKeyEnv:
			if len(vs) != 1 {
				return nil, nil, fmt.Errorf("serializers: query parameter %s given %d times", k, len(vs))
			}
			params[k] = vs[0]
		default:
			rest[k] = append([]string(nil), vs...)
		}
	}
	codec := Compact
	if name, ok := params[ParamSerializer]; ok {
		c, err := lookupCodec(name)
		if err != nil {
			return nil, nil, fmt.Errorf("serializers: query parameter %s=%.40q: %w", ParamSerializer, name, err)
		}
		codec = c
	}
	compress := "zstd"
	if codec == JSON {
		compress = "none"
	}
	if c, ok := params[ParamCompress]; ok {
		compress = c
	}
	level := 0
	if l, ok := params[ParamCompressLevel]; ok {
		n, err := strconv.Atoi(l)
		if err != nil {
			return nil, nil, fmt.Errorf("serializers: query parameter %s=%q: not an integer", ParamCompressLevel, l)
		}
		if compress == "none" {
			return nil, nil, fmt.Errorf("serializers: query parameter %s without compression", ParamCompressLevel)
		}
		level = n
	}
	var stages []Stage
	switch compress {
	case "zstd":
		stages = append(stages, Zstd(level))
	case "gzip":
		stages = append(stages, Gzip(level))
	case "none":
	default:
		return nil, nil, fmt.Errorf("serializers: query parameter %s=%q: unknown compression (want zstd, gzip or none)", ParamCompress, compress)
	}
	if name, ok := params[ParamEncryptKeyEnv]; ok {
		keys, err := keysFromEnv(ParamEncryptKeyEnv, name)
		if err != nil {
			return nil, nil, err
		}
		stages = append(stages, Encrypt(keys...))
	}
	if name, ok := params[ParamSignKeyEnv]; ok {
		keys, err := keysFromEnv(ParamSignKeyEnv, name)
		if err != nil {
			return nil, nil, err
		}
		stages = append(stages, Sign(keys...))
	}
	if codec == Compact && len(stages) == 1 && compress == "zstd" && level == 0 {
		return Default(), rest, nil
	}
	if codec == Compact && len(stages) == 0 {
		return Plain(), rest, nil
	}
	p, err := NewPipeline(codec, stages...)
	if err != nil {
		return nil, nil, fmt.Errorf("serializers: from query: %w", err)
	}
	return p, rest, nil
}

func keysFromEnv(param, name string) ([]Key, error) {
	if name == "" {
		return nil, fmt.Errorf("serializers: query parameter %s is empty", param)
	}
	v, ok := os.LookupEnv(name)
	if !ok || v == "" {
		return nil, fmt.Errorf("serializers: query parameter %s: environment variable %s is not set", param, name)
	}
	keys, err := ParseKeys(v)
	if err != nil {
		return nil, fmt.Errorf("serializers: query parameter %s: environment variable %s: %w", param, name, err)
	}
	return keys, nil
}

// ParseKeys parses a key list as kept in an environment variable: keys
// separated by commas, the first one used for writing, each either
// "ID:SECRET" or just "SECRET". SECRET is hex when it is valid hex and
// base64 (standard or URL alphabet, padded or not) otherwise. A key without
// an ID gets one derived from its secret: "k" and the first 8 hex digits of
// its SHA-256, stable across processes. Errors name the position of a bad
// key, never its secret.
func ParseKeys(s string) ([]Key, error) {
	var keys []Key
	for i, entry := range strings.Split(s, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			return nil, fmt.Errorf("parse keys: key %d is empty", i+1)
		}
		id, secret, hasID := strings.Cut(entry, ":")
		if !hasID {
			id, secret = "", entry
		}
		b, err := decodeSecret(secret)
		if err != nil {
			return nil, fmt.Errorf("parse keys: key %d: %w", i+1, err)
		}
		if !hasID {
			sum := sha256.Sum256(b)
			id = "k" + hex.EncodeToString(sum[:4])
		} else if err := checkKeyID(id); err != nil {
			return nil, fmt.Errorf("parse keys: key %d: %w", i+1, err)
		}
		keys = append(keys, Key{ID: id, Secret: b})
	}
	return keys, nil
}

func decodeSecret(s string) ([]byte, error) {
	if b, err := hex.DecodeString(s); err == nil {
		return b, nil
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, nil
		}
	}
	return nil, fmt.Errorf("secret is neither hex nor base64")
}
