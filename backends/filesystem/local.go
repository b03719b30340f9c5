package filesystem

// IsLocal reports that the backend never waits on a network
// (backends.Local): the transport calls it without a budget goroutine.
func (b *Backend) IsLocal() bool { return true }
