// Package serializers turns stored responses (models.Response) into bytes
// and back. A Serializer is a codec (msgpack, JSON, BSON) followed by byte
// stages (compression, signing, encryption). Every record starts with a
// header naming the format version, the codec and the stages, so that a
// record is decoded by the pipeline that wrote it or rejected as a clean
// miss; a reader never guesses.
package serializers

import (
	"errors"

	"github.com/cachedhttp/cachedhttp/models"
)

// Serializer encodes and decodes stored responses.
type Serializer interface {
	// Marshal encodes r. It does not modify r.
	Marshal(r *models.Response) ([]byte, error)
	// Unmarshal decodes data. A record that is foreign, corrupt, tampered
	// with, written by another pipeline or by an unknown format version
	// returns an error matching ErrInvalidRecord. The returned response may
	// share memory with data.
	Unmarshal(data []byte) (*models.Response, error)
}

// ErrInvalidRecord is returned (wrapped) by Unmarshal for any record it
// cannot decode with confidence.
var ErrInvalidRecord = errors.New("cachedhttp/serializers: invalid record")
