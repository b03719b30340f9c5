package serializers

import (
	"bytes"
	"fmt"
)

// A bytes record carries a value that is not a response (an OAuth2 token, a
// key-value cache entry) through the same stages as a response record. Its
// header is the response header with another magic word and no codec:
//
//	bytes-record = bytes-header LF payload
//	bytes-header = "cachedhttp-bytes" SP "v1" *(SP stage)
//
// with stage as in FORMAT.md and the same limits (ASCII, at most 512 bytes
// with the LF, at most 8 stages). The payload is the caller's bytes
// transformed by each stage in order; the keyed stages bind the header line
// (LF included) as they do in a response record. A response record is not a
// bytes record and the other way round: each reader rejects the other's
// magic word.
const bytesMagic = "cachedhttp-bytes"

// SealBytes returns a bytes record holding data: a header naming the
// stages, then data transformed by each stage in order. The stages are
// checked as NewPipeline checks them. OpenBytes with the same stages (and,
// for keyed stages, a key the record names) gives data back.
func SealBytes(data []byte, stages ...Stage) ([]byte, error) {
	if _, err := NewPipeline(Msgpack, stages...); err != nil {
		return nil, fmt.Errorf("serializers: seal bytes: %w", err)
	}
	h := []byte(bytesMagic + " v1")
	for _, s := range stages {
		h = append(h, ' ')
		h = append(h, s.kind().String()...)
		if id := s.keyID(); id != "" {
			h = append(h, ':')
			h = append(h, id...)
		}
	}
	h = append(h, '\n')
	env := writeEnv{header: h}
	if len(stages) == 0 {
		return append(h, data...), nil
	}
	cur := data
	for i, s := range stages {
		var dst []byte
		if i == len(stages)-1 {
			dst = append(make([]byte, 0, len(h)+len(cur)+64), h...)
		}
		var err error
		if cur, err = s.encode(dst, cur, env); err != nil {
			return nil, fmt.Errorf("serializers: seal bytes: stage %s: %w", s.kind(), err)
		}
	}
	return cur, nil
}

// OpenBytes returns the data of a bytes record written by SealBytes with the
// same stages in the same order. Anything else (another pipeline's record,
// a response record, a record naming a key none of the stages holds, a
// truncated or tampered record) is an error matching ErrInvalidRecord that
// gives the reason. The result may share memory with record.
func OpenBytes(record []byte, stages ...Stage) ([]byte, error) {
	for i, s := range stages {
		if s == nil {
			return nil, fmt.Errorf("serializers: open bytes: stage %d is nil", i)
		}
		if err := s.err(); err != nil {
			return nil, fmt.Errorf("serializers: open bytes: %w", err)
		}
	}
	var h rawHeader
	if err := parseBytesHeader(record, &h); err != nil {
		return nil, err
	}
	if h.n != len(stages) {
		return nil, invalid("bytes record has %d stages, want %d", h.n, len(stages))
	}
	for i, s := range stages {
		if h.stages[i].kind != s.kind() {
			return nil, invalid("bytes record stage %d is %s, want %s", i, h.stages[i].kind, s.kind())
		}
		if id := h.stages[i].param; id != nil && !s.hasKey(id) {
			return nil, invalid("stage %s: unknown key id %q", h.stages[i].kind, id)
		}
	}
	payload := record[h.len:]
	for i := len(stages) - 1; i >= 0; i-- {
		env := readEnv{header: record[:h.len], keyID: h.stages[i].param}
		var err error
		if payload, err = stages[i].decode(payload, env); err != nil {
			return nil, fmt.Errorf("%w: stage %s: %w", ErrInvalidRecord, stages[i].kind(), err)
		}
	}
	return payload, nil
}

// parseBytesHeader parses the header of a bytes record into h (codec unset).
func parseBytesHeader(data []byte, h *rawHeader) error {
	if !bytes.HasPrefix(data, []byte(bytesMagic)) {
		return invalid("no bytes record header (foreign or truncated data)")
	}
	end := bytes.IndexByte(data[:min(len(data), maxHeaderLen)], '\n')
	if end < 0 {
		if len(data) < maxHeaderLen {
			return invalid("truncated bytes record header")
		}
		return invalid("bytes record header longer than %d bytes", maxHeaderLen)
	}
	h.len = end + 1
	line := data[len(bytesMagic):end]
	field, line, ok := nextField(line)
	if !ok || string(field) != "v1" {
		return invalid("bytes record header: unknown or missing format version")
	}
	h.n = 0
	for len(line) > 0 {
		field, line, ok = nextField(line)
		if !ok {
			return invalid("malformed bytes record header: empty stage")
		}
		if h.n == maxStages {
			return invalid("bytes record header names more than %d stages", maxStages)
		}
		name, param, hasParam := bytes.Cut(field, []byte{':'})
		k, found := stageKindByName(name)
		if !found {
			return invalid("unknown stage %.20q", name)
		}
		if k.keyed() != hasParam {
			return invalid("stage %s: key id present or missing", k)
		}
		if !hasParam {
			param = nil
		} else if err := checkKeyID(string(param)); err != nil {
			return invalid("stage %s: %v", k, err)
		}
		h.stages[h.n] = rawStage{kind: k, param: param}
		h.n++
	}
	return nil
}
