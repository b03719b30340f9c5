// Package backendtest is the conformance suite every cachedhttp backend
// passes (Run), plus helpers that locate the real servers integration tests
// need (Service).
package backendtest

import (
	"os"
	"testing"
)

// RequiredEnv is set to 1 by `make test` (through scripts/services.sh): a
// test whose server is not configured then fails instead of skipping.
const RequiredEnv = "CACHEDHTTP_SERVICES"

// Service returns the value of the environment variable env (an address or
// URL written by scripts/services.sh). When it is empty the test fails if
// services are required (make test) and is skipped otherwise (a plain
// `go test ./...`), saying so.
func Service(t testing.TB, env string) string {
	t.Helper()
	v := os.Getenv(env)
	if v != "" {
		return v
	}
	if os.Getenv(RequiredEnv) == "1" {
		t.Fatalf("%s is not set but %s=1: the server this test needs did not start (run `make services` and read its output)", env, RequiredEnv)
	}
	t.Skipf("skipping: %s is not set (no services configured; `make test` starts them and sets it)", env)
	return ""
}
