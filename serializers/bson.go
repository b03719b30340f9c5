package serializers

import (
	"errors"

	"github.com/cachedhttp/cachedhttp/models"
)

type bsonCodec struct{}

func (bsonCodec) encode(dst []byte, r *models.Response) ([]byte, error) {
	return nil, errors.New("bson: not implemented yet")
}

func (bsonCodec) decode(data []byte) (*models.Response, error) {
	return nil, errors.New("bson: not implemented yet")
}
