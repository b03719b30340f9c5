package backends

// Evicter is implemented by backends that delete values before they expire
// to stay within their bounds (the memory backend's least-recently-used
// eviction), so that a metrics exporter can report how often the cache
// forgot something to make room.
type Evicter interface {
	// Evictions returns how many values the backend has evicted to make
	// room since it was created. Values removed because they expired, or
	// deleted by a caller, are not evictions.
	Evictions() int64
}
