package serializers_test

import (
	"bytes"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/cachedhttp/cachedhttp/models"
	"github.com/cachedhttp/cachedhttp/serializers"
)

func bytesKey(id string, b byte) serializers.Key {
	return serializers.Key{ID: id, Secret: bytes.Repeat([]byte{b}, 32)}
}

// bytesStageSets are the stage lists the bytes record tests seal with.
func bytesStageSets() map[string][]serializers.Stage {
	return map[string][]serializers.Stage{
		"no stages":       nil,
		"zstd":            {serializers.Zstd(0)},
		"gzip":            {serializers.Gzip(0)},
		"hmac":            {serializers.Sign(bytesKey("s1", 1))},
		"aes":             {serializers.Encrypt(bytesKey("e1", 2))},
		"zstd hmac aes":   {serializers.Zstd(0), serializers.Sign(bytesKey("s1", 1)), serializers.Encrypt(bytesKey("e1", 2))},
		"gzip aes rotate": {serializers.Gzip(0), serializers.Encrypt(bytesKey("new", 3), bytesKey("e1", 2))},
	}
}

func TestSealBytesRoundTrip(t *testing.T) {
	inputs := [][]byte{nil, []byte("x"), []byte(`{"access_token": "secret"}`), []byte(strings.Repeat("compressible ", 500))}
	for name, stages := range bytesStageSets() {
		t.Run(name, func(t *testing.T) {
			for _, in := range inputs {
				rec, err := serializers.SealBytes(in, stages...)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.HasPrefix(rec, []byte("cachedhttp-bytes v1")) {
					t.Fatalf("record starts %q", rec[:min(len(rec), 40)])
				}
				out, err := serializers.OpenBytes(rec, stages...)
				if err != nil {
					t.Fatalf("open %d bytes: %v", len(in), err)
				}
				if !bytes.Equal(out, in) {
					t.Fatalf("round trip of %d bytes gave %d bytes", len(in), len(out))
				}
			}
		})
	}
}

func TestSealBytesHeaderNamesStagesAndKeys(t *testing.T) {
	rec, err := serializers.SealBytes([]byte("v"), serializers.Zstd(0), serializers.Encrypt(bytesKey("2026-05", 9)))
	if err != nil {
		t.Fatal(err)
	}
	line, _, _ := bytes.Cut(rec, []byte("\n"))
	if got, want := string(line), "cachedhttp-bytes v1 zstd aes-256-gcm:2026-05"; got != want {
		t.Fatalf("header %q, want %q", got, want)
	}
}

func TestSealBytesEncryptedHidesData(t *testing.T) {
	secret := []byte("ya29.a-very-secret-access-token")
	rec, err := serializers.SealBytes(secret, serializers.Encrypt(bytesKey("k", 4)))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(rec, secret) || bytes.Contains(rec, []byte("secret")) {
		t.Fatalf("sealed record holds the data in clear: %q", rec)
	}
}

func TestOpenBytesRejects(t *testing.T) {
	enc := serializers.Encrypt(bytesKey("e1", 2))
	rec, err := serializers.SealBytes([]byte("data"), enc)
	if err != nil {
		t.Fatal(err)
	}
	respRec, err := serializers.MustPipeline(serializers.JSON).Marshal(&models.Response{StatusCode: 200, Header: http.Header{}})
	if err != nil {
		t.Fatal(err)
	}
	tampered := bytes.Clone(rec)
	tampered[len(tampered)-1] ^= 1
	cases := []struct {
		name   string
		record []byte
		stages []serializers.Stage
	}{
		{"wrong key with the same id", rec, []serializers.Stage{serializers.Encrypt(bytesKey("e1", 7))}},
		{"unknown key id", rec, []serializers.Stage{serializers.Encrypt(bytesKey("other", 2))}},
		{"fewer stages", rec, nil},
		{"other stages", rec, []serializers.Stage{serializers.Zstd(0)}},
		{"tampered", tampered, []serializers.Stage{enc}},
		{"truncated", rec[:len(rec)-5], []serializers.Stage{enc}},
		{"header only, no line feed", []byte("cachedhttp-bytes v1 aes-256-gcm:e1"), []serializers.Stage{enc}},
		{"response record", respRec, nil},
		{"plain JSON", []byte(`{"access_token": "x"}`), nil},
		{"unknown version", []byte("cachedhttp-bytes v2\nx"), nil},
		{"keyed stage without key id", []byte("cachedhttp-bytes v1 aes-256-gcm\nx"), []serializers.Stage{enc}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := serializers.OpenBytes(c.record, c.stages...)
			if out != nil || !errors.Is(err, serializers.ErrInvalidRecord) {
				t.Fatalf("got %q, %v; want ErrInvalidRecord", out, err)
			}
		})
	}
}

// A pipeline does not mistake a bytes record for a response record.
func TestPipelineRejectsBytesRecord(t *testing.T) {
	rec, err := serializers.SealBytes([]byte("data"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := serializers.Inspect(rec); !errors.Is(err, serializers.ErrInvalidRecord) {
		t.Fatalf("Inspect: %v, want ErrInvalidRecord", err)
	}
	if _, err := serializers.Default().Unmarshal(rec); !errors.Is(err, serializers.ErrInvalidRecord) {
		t.Fatalf("Unmarshal: %v, want ErrInvalidRecord", err)
	}
}

func TestSealBytesChecksStages(t *testing.T) {
	enc := serializers.Encrypt(bytesKey("e1", 2))
	bad := [][]serializers.Stage{
		{serializers.Encrypt(serializers.Key{ID: "short", Secret: []byte("x")})},
		{enc, serializers.Zstd(0)}, // compression after encryption
		{serializers.Zstd(0), serializers.Zstd(0)},
		{nil},
	}
	for i, stages := range bad {
		if _, err := serializers.SealBytes([]byte("x"), stages...); err == nil {
			t.Errorf("case %d: no error", i)
		}
	}
	if _, err := serializers.OpenBytes([]byte("cachedhttp-bytes v1\n"), nil); err == nil {
		t.Error("OpenBytes with a nil stage: no error")
	}
}

func FuzzOpenBytes(f *testing.F) {
	enc := serializers.Encrypt(bytesKey("e1", 2))
	stages := []serializers.Stage{serializers.Zstd(0), enc}
	for _, in := range [][]byte{nil, []byte("token"), bytes.Repeat([]byte("abc"), 400)} {
		rec, err := serializers.SealBytes(in, stages...)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(rec)
		plain, _ := serializers.SealBytes(in)
		f.Add(plain)
	}
	f.Add([]byte("cachedhttp-bytes v1 zstd aes-256-gcm:e1\n"))
	f.Fuzz(func(t *testing.T, rec []byte) {
		for _, st := range [][]serializers.Stage{stages, nil} {
			out, err := serializers.OpenBytes(rec, st...)
			if err != nil {
				if !errors.Is(err, serializers.ErrInvalidRecord) {
					t.Fatalf("error does not match ErrInvalidRecord: %v", err)
				}
				continue
			}
			again, err := serializers.SealBytes(out, st...)
			if err != nil {
				t.Fatal(err)
			}
			back, err := serializers.OpenBytes(again, st...)
			if err != nil || !bytes.Equal(back, out) {
				t.Fatalf("resealed record does not open to the same data: %v", err)
			}
		}
	})
}
