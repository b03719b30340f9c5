//go:build !unix

package filesystem

import "os"

// flockSupported says whether flock orders Add and Incr across processes:
// not on this system, where they are atomic within one process only.
const flockSupported = false

func flock(*os.File) error { return nil }
