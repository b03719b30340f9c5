package serializers

// The header of format version 2 is binary, written by the compact codec:
//
//	0xCA 0xCE  magic: never the start of a version 1 header ("cachedhttp ")
//	0x02       format version
//	codec      one byte: 1 = compact
//	n          number of stages, 0 to 8
//	n stages   one byte each: 1 zstd, 2 gzip, 3 hmac-sha256, 4 aes-256-gcm;
//	           a keyed stage (3, 4) is followed by the length of its key id
//	           (1 to 64) and the key id
//
// Like the text header, it is bound into the HMAC and is the AES-GCM
// additional data. FORMAT.md holds the rules.

// v2Magic starts every version 2 record. Its first byte tells a reader
// which header to parse: version 1 records start with 'c'.
var v2Magic = [2]byte{0xCA, 0xCE}

// v2FixedLen is the length of a version 2 header without stages.
const v2FixedLen = len(v2Magic) + 3

// Codec ids of version 2 headers. A codec without one is written with a
// version 1 header.
const v2CodecCompact = 1

// v2CodecID returns the version 2 id of c, or 0 if c is not a version 2
// codec.
func v2CodecID(c Codec) byte {
	if c == Compact {
		return v2CodecCompact
	}
	return 0
}

// isV2 reports whether data starts like a version 2 record.
func isV2(data []byte) bool { return len(data) > 0 && data[0] == v2Magic[0] }

// appendV2Header appends the binary header of h (version 2).
func appendV2Header(b []byte, h Header) []byte {
	b = append(b, v2Magic[0], v2Magic[1], 2, v2CodecID(h.Codec), byte(len(h.Stages)))
	for _, s := range h.Stages {
		k, _ := stageKindByName([]byte(s.Name))
		b = append(b, byte(k))
		if k.keyed() {
			b = append(b, byte(len(s.KeyID)))
			b = append(b, s.KeyID...)
		}
	}
	return b
}

// parseV2Header parses the binary header at the start of data into h. It
// accepts exactly what appendV2Header writes.
func parseV2Header(data []byte, h *rawHeader) error {
	if len(data) < v2FixedLen {
		return invalid("truncated record header")
	}
	if data[0] != v2Magic[0] || data[1] != v2Magic[1] {
		return invalid("no record header (foreign or truncated data)")
	}
	if data[2] != 2 {
		return invalid("unknown record format version %d", data[2])
	}
	if data[3] != v2CodecCompact {
		return invalid("unknown codec id %d", data[3])
	}
	h.version, h.codec = 2, Compact
	n := int(data[4])
	if n > maxStages {
		return invalid("record header names more than %d stages", maxStages)
	}
	pos := v2FixedLen
	h.n = 0
	for range n {
		if pos >= len(data) {
			return invalid("truncated record header")
		}
		k := stageKind(data[pos])
		pos++
		if k < kindZstd || k > kindAESGCM {
			return invalid("unknown stage id %d", k)
		}
		var param []byte
		if k.keyed() {
			if pos >= len(data) {
				return invalid("truncated record header")
			}
			l := int(data[pos])
			pos++
			if l > len(data)-pos {
				return invalid("truncated record header")
			}
			param = data[pos : pos+l : pos+l]
			pos += l
			if err := checkKeyID(string(param)); err != nil {
				return invalid("stage %s: %v", k, err)
			}
		}
		h.stages[h.n] = rawStage{kind: k, param: param}
		h.n++
	}
	h.len = pos
	return nil
}
