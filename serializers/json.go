package serializers

import (
	"errors"

	"github.com/cachedhttp/cachedhttp/models"
)

type jsonCodec struct{}

func (jsonCodec) encode(dst []byte, r *models.Response) ([]byte, error) {
	return nil, errors.New("json: not implemented yet")
}

func (jsonCodec) decode(data []byte) (*models.Response, error) {
	return nil, errors.New("json: not implemented yet")
}
