package mongodb

import (
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/cachedhttp/cachedhttp/backends/internal/bsondoc"
	"github.com/cachedhttp/cachedhttp/backends/internal/chunk"
)

// errBadDocument reports a document this package did not write.
var errBadDocument = errors.New("malformed cache document")

// document is a key's document as this package reads it.
type document = chunk.Head

// chunkDoc is one chunk document.
type chunkDoc struct {
	ID    string
	Value []byte
}

// decodeDocument decodes a key's document (or its projection without
// value, as Scan reads it), validating what Get relies on.
func decodeDocument(raw bson.Raw) (document, error) {
	var d document
	if err := bsondoc.Validate(raw); err != nil {
		return d, fmt.Errorf("%w: %w", errBadDocument, err)
	}
	k, err := raw.LookupErr("key")
	if err != nil {
		return d, fmt.Errorf("%w: no key", errBadDocument)
	}
	_, kb, ok := k.BinaryOK()
	if !ok {
		return d, fmt.Errorf("%w: key is %s, not binary", errBadDocument, k.Type)
	}
	d.Key = string(kb)
	if v, err := raw.LookupErr("expires"); err == nil {
		ms, ok := v.DateTimeOK()
		if !ok {
			return d, fmt.Errorf("%w: expires is %s, not a date", errBadDocument, v.Type)
		}
		d.Expires = time.UnixMilli(ms)
	}
	if v, err := raw.LookupErr("size"); err == nil {
		n, ok := v.AsInt64OK()
		if !ok || n < 0 {
			return d, fmt.Errorf("%w: bad size", errBadDocument)
		}
		d.Size = n
	}
	if v, err := raw.LookupErr("chunks"); err == nil {
		n, ok := v.AsInt64OK()
		if !ok || n < 1 || n > chunk.MaxChunks {
			return d, fmt.Errorf("%w: bad chunk count", errBadDocument)
		}
		g, ok := raw.Lookup("gen").StringValueOK()
		if !ok || g == "" {
			return d, fmt.Errorf("%w: chunked without generation", errBadDocument)
		}
		d.Chunks, d.Gen = int(n), g
	}
	if v, err := raw.LookupErr("value"); err == nil {
		_, vb, ok := v.BinaryOK()
		if !ok || d.Chunks != 0 {
			return d, fmt.Errorf("%w: bad value", errBadDocument)
		}
		d.Value = vb
		if d.Value == nil {
			d.Value = []byte{}
		}
	}
	return d, nil
}

// decodeReplaced reads the chunks a replaced document named
// (FindOneAndReplace's projection of it): the zero Ref for an inline value.
func decodeReplaced(raw bson.Raw) (chunk.Ref, error) {
	if err := bsondoc.Validate(raw); err != nil {
		return chunk.Ref{}, fmt.Errorf("%w: %w", errBadDocument, err)
	}
	v, err := raw.LookupErr("chunks")
	if err != nil {
		return chunk.Ref{}, nil // inline value: no chunks
	}
	n, ok := v.AsInt64OK()
	g, gok := raw.Lookup("gen").StringValueOK()
	if !ok || !gok || n < 1 || n > chunk.MaxChunks || g == "" {
		return chunk.Ref{}, fmt.Errorf("%w: bad chunk reference", errBadDocument)
	}
	return chunk.Ref{Gen: g, Chunks: int(n)}, nil
}

// decodeChunk decodes a chunk document projected to _id and value.
func decodeChunk(raw bson.Raw) (chunkDoc, error) {
	var c chunkDoc
	if err := bsondoc.Validate(raw); err != nil {
		return c, fmt.Errorf("%w: %w", errBadDocument, err)
	}
	id, ok := raw.Lookup("_id").StringValueOK()
	if !ok {
		return c, fmt.Errorf("%w: chunk _id is not a string", errBadDocument)
	}
	v := raw.Lookup("value")
	if v.Type != bson.TypeBinary {
		return c, fmt.Errorf("%w: chunk %s has no binary value", errBadDocument, id)
	}
	_, c.Value, _ = v.BinaryOK()
	c.ID = id
	return c, nil
}
