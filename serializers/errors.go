package serializers

import "errors"

// ErrInvalidRecord is returned (wrapped) by Unmarshal for any record it
// cannot decode with confidence.
var ErrInvalidRecord = errors.New("cachedhttp/serializers: invalid record")

// ErrUnknownCodec is returned (wrapped) by NewPipeline, ParseCodec,
// FromQuery and PipelineFor for a codec that has no implementation in this
// program: an unknown name, or a codec such as BSON whose package was not
// imported (the error then names the import that registers it).
var ErrUnknownCodec = errors.New("cachedhttp/serializers: unknown codec")
