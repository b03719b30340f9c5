package cachedhttp

// QueueLen returns how many records wait in the write-behind queue to be
// written to the backend (see WithWriteQueue), for a queue-depth gauge. A
// record the writer is storing right now is no longer counted; with
// WithWriteQueue(0) it is always 0.
func (t *Transport) QueueLen() int { return len(t.wb.queue) }
