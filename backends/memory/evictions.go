package memory

// Evictions returns how many entries the Backend has evicted to stay
// within Options.MaxEntries and Options.MaxBytes since it was created
// (backends.Evicter). Expired entries and deleted ones are not counted.
func (b *Backend) Evictions() int64 { return b.evictions.Load() }

// evict removes the least recently used entry to make room, counting it.
// The caller holds b.mu.
func (b *Backend) evict() {
	b.remove(b.lru.prev)
	b.evictions.Add(1)
}
