package serializers

// EncodeHeader returns h as records carry it: the text line of version 1,
// the binary header of version 2.
func EncodeHeader(h Header) []byte { return h.appendTo(nil) }
