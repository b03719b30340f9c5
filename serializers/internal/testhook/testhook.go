// Package testhook lets the test helpers shared by package serializers and
// the codec packages (serializers/internal/serializertest) reach what
// package serializers keeps unexported. Package serializers sets the hooks
// in its init; only tests call them.
package testhook

import "io"

// SetNonceSource makes an Encrypt stage read its nonces from r, so that
// golden records are reproducible. The stage is passed as any because this
// package cannot import serializers.
var SetNonceSource func(stage any, r io.Reader)
