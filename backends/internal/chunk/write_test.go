package chunk_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"

	"github.com/cachedhttp/cachedhttp/backends/internal/chunk"
)

// memStore is one key of a store held in memory: a head (a Ref and, for an
// inline value, the value) and chunks by generation and index. Its faults
// make the next call of each primitive fail.
type memStore struct {
	mu     sync.Mutex
	head   chunk.Head
	chunks map[string][]byte // "gen/i"
	// faults
	failChunks, failHead, failDelete bool
	afterChunks                      func() // runs when PutChunks succeeded
	superseded                       []chunk.Ref
	deleted                          []chunk.Ref
}

func newMemStore() *memStore { return &memStore{chunks: map[string][]byte{}} }

func chunkName(gen string, i int) string { return fmt.Sprintf("%s/%d", gen, i) }

// write is one Set on a memStore, as a store implements chunk.Store.
type write struct {
	s    *memStore
	head chunk.Head // the head to write, but for its Gen and Chunks
}

func (w write) PutChunks(_ context.Context, gen chunk.Ref, parts [][]byte) error {
	s := w.s
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, p := range parts {
		if s.failChunks && i == len(parts)-1 {
			return errors.New("injected chunk failure")
		}
		s.chunks[chunkName(gen.Gen, i)] = p
	}
	if s.afterChunks != nil {
		s.afterChunks()
	}
	return nil
}

func (w write) PutHead(_ context.Context, gen chunk.Ref) ([]chunk.Ref, error) {
	s := w.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failHead {
		return nil, errors.New("injected head failure")
	}
	old := s.head.Ref()
	s.head = w.head
	s.head.Gen, s.head.Chunks = gen.Gen, gen.Chunks
	if old.Chunks == 0 {
		return nil, nil
	}
	return []chunk.Ref{old}, nil
}

func (w write) DeleteChunks(_ context.Context, gens []chunk.Ref) error {
	s := w.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failDelete {
		return errors.New("injected delete failure")
	}
	for _, g := range gens {
		s.deleted = append(s.deleted, g)
		for _, n := range g.Names(chunkName) {
			delete(s.chunks, n)
		}
	}
	return nil
}

// superseding is a write on a store whose Superseded names generations.
type superseding struct{ write }

func (w superseding) Superseded(context.Context, chunk.Ref) ([]chunk.Ref, error) {
	return w.s.superseded, nil
}

// set writes value by chunk.Write, chunked by 2 bytes when longer than 2,
// through the store's write (or its Superseder).
func set(ctx context.Context, s *memStore, value string, superseder bool) error {
	w := write{s: s, head: chunk.Head{Size: int64(len(value))}}
	if len(value) <= 2 {
		w.head.Value = []byte(value)
	}
	var st chunk.Store[chunk.Ref] = w
	if superseder {
		st = superseding{w}
	}
	if len(value) <= 2 {
		return chunk.Write(ctx, st, chunk.Ref{}, nil)
	}
	parts := chunk.Split([]byte(value), 2)
	return chunk.Write(ctx, st, chunk.Ref{Gen: chunk.NewGeneration(), Chunks: len(parts)}, parts)
}

// get reads the value the way a store's Get does: the head, then its
// chunks.
func (s *memStore) get() ([]byte, error) {
	s.mu.Lock()
	h := s.head
	s.mu.Unlock()
	if h.Chunks == 0 {
		return h.Value, nil
	}
	return h.Assemble(func(i int) ([]byte, bool) {
		s.mu.Lock()
		defer s.mu.Unlock()
		p, ok := s.chunks[chunkName(h.Gen, i)]
		return p, ok
	})
}

// chunkNames returns the names of the chunks the store holds, sorted.
func (s *memStore) chunkNames() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Sorted(maps.Keys(s.chunks))
}

func TestWrite(t *testing.T) {
	tests := []struct {
		name      string
		before    string // stored first, without faults ("": nothing)
		value     string
		fault     func(s *memStore, cancel context.CancelFunc)
		wantErr   bool
		wantValue string // what a reader gets afterwards
		// leftover says the replaced value's chunks stay (their delete
		// failed); otherwise only the live value's chunks may remain.
		leftover bool
	}{
		{name: "a chunked value", value: "abcde", wantValue: "abcde"},
		{name: "an inline value replaces a chunked one and frees its chunks", before: "abcde", value: "xy", wantValue: "xy"},
		{name: "a chunked value replaces a chunked one and frees its chunks", before: "abcde", value: "vwxyz", wantValue: "vwxyz"},
		{name: "failed chunks leave the old value and no chunks of the new", before: "abcde", value: "vwxyz",
			fault: func(s *memStore, _ context.CancelFunc) { s.failChunks = true }, wantErr: true, wantValue: "abcde"},
		{name: "a failed head leaves the old value and no chunks of the new", before: "abcde", value: "vwxyz",
			fault: func(s *memStore, _ context.CancelFunc) { s.failHead = true }, wantErr: true, wantValue: "abcde"},
		{name: "a caller gone after the chunks does not publish the value", before: "abcde", value: "vwxyz",
			fault: func(s *memStore, cancel context.CancelFunc) { s.afterChunks = cancel }, wantErr: true, wantValue: "abcde"},
		{name: "a failed delete of replaced chunks keeps the new value", before: "abcde", value: "vwxyz",
			fault: func(s *memStore, _ context.CancelFunc) { s.failDelete = true }, wantErr: true, wantValue: "vwxyz", leftover: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newMemStore()
			if tt.before != "" {
				if err := set(t.Context(), s, tt.before, false); err != nil {
					t.Fatal(err)
				}
			}
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			if tt.fault != nil {
				tt.fault(s, cancel)
			}
			err := set(ctx, s, tt.value, false)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Write = %v; want error %v", err, tt.wantErr)
			}
			got, err := s.get()
			if err != nil || string(got) != tt.wantValue {
				t.Fatalf("get = %q, %v; want %q", got, err, tt.wantValue)
			}
			want := s.head.Ref().Names(chunkName)
			slices.Sort(want)
			if got := s.chunkNames(); slices.Equal(got, want) == tt.leftover {
				t.Errorf("chunks left %q; live value's %q (replaced chunks left behind: %v)", got, want, tt.leftover)
			}
		})
	}
}

func TestWriteSupersededAndSelf(t *testing.T) {
	s := newMemStore()
	old := chunk.Ref{Gen: "old", Chunks: 1}
	s.chunks[chunkName("old", 0)] = []byte("x")
	s.superseded = []chunk.Ref{old}
	if err := set(t.Context(), s, "wxyz", false); err != nil {
		t.Fatal(err)
	}
	replaced := s.head.Ref()
	if err := set(t.Context(), s, "abcd", true); err != nil {
		t.Fatal(err)
	}
	// The replaced chunks first, then the superseded ones: Superseded looks
	// as late as it can.
	if !slices.Equal(s.deleted, []chunk.Ref{replaced, old}) {
		t.Errorf("deleted %v; want the replaced generation %v, then the superseded %v", s.deleted, replaced, old)
	}
	// A head that replaces its own generation (a retried write) must not
	// delete the chunks it now names.
	s.deleted = nil
	gen := s.head.Ref()
	w := write{s: s, head: chunk.Head{Size: 4}}
	if err := chunk.Write(t.Context(), w, gen, chunk.Split([]byte("abcd"), 2)); err != nil {
		t.Fatal(err)
	}
	if len(s.deleted) != 0 {
		t.Errorf("deleted %v; want nothing (the replaced generation is the new one)", s.deleted)
	}
	if v, err := s.get(); err != nil || string(v) != "abcd" {
		t.Errorf("get = %q, %v", v, err)
	}
}

// TestWriteInvariant runs writers and readers on one key: a reader following
// the head finds a whole value of one writer, or a missing chunk, never a
// value mixed from two writes; at the end only the live value's chunks
// remain.
func TestWriteInvariant(t *testing.T) {
	s := newMemStore()
	const writers, sets = 4, 50
	var wg sync.WaitGroup
	errs := make(chan error, 2*writers)
	for w := range writers {
		value := string(bytes.Repeat([]byte{byte('a' + w)}, 7))
		wg.Go(func() {
			for range sets {
				if err := set(t.Context(), s, value, false); err != nil {
					errs <- err
					return
				}
			}
		})
		wg.Go(func() {
			for range 2 * sets {
				v, err := s.get()
				if errors.Is(err, chunk.ErrIncomplete) || len(v) == 0 {
					continue
				}
				if err != nil || len(v) != 7 || bytes.Count(v, v[:1]) != 7 {
					errs <- fmt.Errorf("reader got a torn value %q", v)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	want := s.head.Ref().Names(chunkName)
	slices.Sort(want)
	if got := s.chunkNames(); !slices.Equal(got, want) {
		t.Errorf("chunks left %q; want the live value's %q", got, want)
	}
}
