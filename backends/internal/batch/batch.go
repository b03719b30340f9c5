package batch

import (
	"context"
	"errors"
	"sync"

	"github.com/cachedhttp/cachedhttp/backends"
)

// Last returns items without the ones a later item with the same key
// replaces, in the order of the items kept. It returns items itself when no
// key repeats.
func Last(items []backends.Item) []backends.Item {
	last := make(map[string]int, len(items))
	for i, it := range items {
		last[it.Key] = i
	}
	if len(last) == len(items) {
		return items
	}
	out := make([]backends.Item, 0, len(last))
	for i, it := range items {
		if last[it.Key] == i {
			out = append(out, it)
		}
	}
	return out
}

// Parallel calls set for each item of Last(items), at most n at a time, and
// returns their errors joined. It stops starting calls once ctx is done
// (the items not started fail with ctx's error).
func Parallel(ctx context.Context, n int, items []backends.Item, set func(context.Context, backends.Item) error) error {
	items = Last(items)
	n = max(1, min(n, len(items)))
	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
	)
	next := make(chan backends.Item)
	for range n {
		wg.Go(func() {
			for it := range next {
				if err := set(ctx, it); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		})
	}
	var stopped error
	for _, it := range items {
		if stopped = ctx.Err(); stopped != nil {
			break
		}
		next <- it
	}
	close(next)
	wg.Wait()
	if stopped != nil {
		errs = append(errs, stopped)
	}
	return errors.Join(errs...)
}
