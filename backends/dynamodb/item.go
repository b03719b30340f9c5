package dynamodb

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/cachedhttp/cachedhttp/backends/internal/chunk"
)

// errBadItem reports an item this package did not write.
var errBadItem = errors.New("malformed cache item")

// item is a value's item as this package reads it.
type item = chunk.Head

// number parses the N attribute name of raw; ok is false when it is absent.
func number(raw map[string]types.AttributeValue, name string) (n int64, ok bool, err error) {
	av, present := raw[name]
	if !present {
		return 0, false, nil
	}
	nv, isN := av.(*types.AttributeValueMemberN)
	if !isN {
		return 0, false, fmt.Errorf("%w: %s is not a number", errBadItem, name)
	}
	n, err = strconv.ParseInt(nv.Value, 10, 64)
	if err != nil {
		return 0, false, fmt.Errorf("%w: %s: %w", errBadItem, name, err)
	}
	return n, true, nil
}

// decodeItem decodes a value's item (or Scan's projection of it).
func decodeItem(raw map[string]types.AttributeValue) (item, error) {
	var it item
	k, ok := raw[attrKey].(*types.AttributeValueMemberB)
	if !ok {
		return it, fmt.Errorf("%w: no binary key", errBadItem)
	}
	it.Key = string(k.Value)
	if ms, ok, err := number(raw, attrExpires); err != nil {
		return it, err
	} else if ok {
		it.Expires = time.UnixMilli(ms)
	}
	if sz, ok, err := number(raw, attrSize); err != nil {
		return it, err
	} else if ok {
		if sz < 0 {
			return it, fmt.Errorf("%w: negative size", errBadItem)
		}
		it.Size = sz
	}
	ref, err := chunkRef(raw)
	if err != nil {
		return it, err
	}
	it.Gen, it.Chunks = ref.Gen, ref.Chunks
	if av, present := raw[attrValue]; present {
		v, ok := av.(*types.AttributeValueMemberB)
		if !ok || it.Chunks > 0 {
			return it, fmt.Errorf("%w: bad value", errBadItem)
		}
		it.Value = v.Value
		if it.Value == nil {
			it.Value = []byte{}
		}
	}
	return it, nil
}

// chunkRef decodes the generation and chunk count of an item: the zero Ref
// for an inline value.
func chunkRef(raw map[string]types.AttributeValue) (chunk.Ref, error) {
	c, ok, err := number(raw, attrChunks)
	if err != nil || !ok {
		return chunk.Ref{}, err
	}
	g, isS := raw[attrGen].(*types.AttributeValueMemberS)
	if c < 1 || c > chunk.MaxChunks || !isS || g.Value == "" || strings.Contains(g.Value, "#") {
		return chunk.Ref{}, fmt.Errorf("%w: bad chunk reference", errBadItem)
	}
	return chunk.Ref{Gen: g.Value, Chunks: int(c)}, nil
}

// decodeChunkRef decodes BatchGetItem's projection (pk, g, n) of a value's
// item, for Delete.
func decodeChunkRef(raw map[string]types.AttributeValue) (pk string, ref chunk.Ref, err error) {
	p, ok := raw[attrPK].(*types.AttributeValueMemberS)
	if !ok {
		return "", chunk.Ref{}, fmt.Errorf("%w: no partition key", errBadItem)
	}
	ref, err = chunkRef(raw)
	return p.Value, ref, err
}

// decodeChunk decodes a chunk item projected to pk and v.
func decodeChunk(raw map[string]types.AttributeValue) (pk string, v []byte, err error) {
	p, ok := raw[attrPK].(*types.AttributeValueMemberS)
	if !ok {
		return "", nil, fmt.Errorf("%w: chunk without partition key", errBadItem)
	}
	b, ok := raw[attrValue].(*types.AttributeValueMemberB)
	if !ok {
		return "", nil, fmt.Errorf("%w: chunk %s without binary value", errBadItem, p.Value)
	}
	return p.Value, b.Value, nil
}
