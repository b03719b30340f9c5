package chunk

import (
	"context"
	"fmt"
)

// Store is what Write needs of a store: its writes on one key. G names a
// generation of chunks: a Ref, or the store's own id for one (a GridFS file
// id). Write calls the methods in the order of the protocol (see the
// package documentation); each is a store's primitive.
type Store[G comparable] interface {
	// PutChunks stores parts as the chunks of generation gen, which no head
	// names yet.
	PutChunks(ctx context.Context, gen G, parts [][]byte) error
	// PutHead writes the key's head, naming gen (or holding the value
	// inline when Write got no parts), in place of the head before it, and
	// returns the generations that head named. An error means the head may
	// not have been written.
	PutHead(ctx context.Context, gen G) (replaced []G, err error)
	// DeleteChunks deletes the chunks of gens; some may be gone already.
	DeleteChunks(ctx context.Context, gens []G) error
}

// Superseder is implemented by a Store whose PutHead cannot return every
// generation it made garbage: a store of revisions (GridFS), whose older
// revisions stay until deleted, or a server whose replace is not atomic
// (FerretDB 1.x reads, then writes), where two writers can both be told
// they replaced the same head. Superseded runs last, once the head is
// written and the replaced chunks deleted, and returns the further
// generations to delete: gen itself when another writer's head is now the
// key's, and older revisions.
type Superseder[G comparable] interface {
	Superseded(ctx context.Context, gen G) ([]G, error)
}

// Write stores one value by the protocol: the chunks in parts under the
// fresh generation gen first (no parts: an inline value, nothing to write),
// then the head, then the chunks of the generations the head replaced, and
// last those a Superseder finds superseded. When the chunks or the head fail, or ctx ends between them,
// it deletes gen's chunks again, best effort, so that no head names them
// and nothing is left behind; an error after the head was written leaves
// the new value in place.
func Write[G comparable](ctx context.Context, s Store[G], gen G, parts [][]byte) error {
	abandon := func() {
		if len(parts) > 0 {
			_ = s.DeleteChunks(context.WithoutCancel(ctx), []G{gen})
		}
	}
	if len(parts) > 0 {
		if err := s.PutChunks(ctx, gen, parts); err != nil {
			abandon()
			return fmt.Errorf("write %d chunks: %w", len(parts), err)
		}
	}
	if err := ctx.Err(); err != nil {
		abandon() // the caller left: do not publish the value
		return err
	}
	replaced, err := s.PutHead(ctx, gen)
	if err != nil {
		abandon()
		return err
	}
	stale := make([]G, 0, len(replaced))
	for _, g := range replaced {
		if g != gen {
			stale = append(stale, g)
		}
	}
	if len(stale) > 0 {
		if err := s.DeleteChunks(ctx, stale); err != nil {
			return fmt.Errorf("delete replaced chunks: %w", err)
		}
	}
	sup, ok := s.(Superseder[G])
	if !ok {
		return nil
	}
	// Asked last: the later it looks, the more of the heads concurrent
	// writers wrote after this one it sees.
	superseded, err := sup.Superseded(ctx, gen)
	if err != nil {
		return fmt.Errorf("find superseded chunks: %w", err)
	}
	if len(superseded) > 0 {
		if err := s.DeleteChunks(ctx, superseded); err != nil {
			return fmt.Errorf("delete superseded chunks: %w", err)
		}
	}
	return nil
}

// Put stores value by Write: inline (no chunks; PutHead gets the zero Ref)
// when inline is set, else in chunks of size bytes under a fresh
// generation.
func Put(ctx context.Context, s Store[Ref], value []byte, size int, inline bool) error {
	if inline {
		return Write(ctx, s, Ref{}, nil)
	}
	parts := Split(value, size)
	return Write(ctx, s, Ref{Gen: NewGeneration(), Chunks: len(parts)}, parts)
}
