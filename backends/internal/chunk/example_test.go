package chunk_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/cachedhttp/cachedhttp/backends/internal/chunk"
)

// A value larger than a record is split, and joined again from its head.
func Example() {
	value := []byte("a value of twenty-six bytes")
	parts := chunk.Split(value, 10)
	h := chunk.Head{Gen: chunk.NewGeneration(), Chunks: len(parts), Size: int64(len(value)), ChunkSize: 10}
	v, err := h.Assemble(func(i int) ([]byte, bool) { return parts[i], true })
	fmt.Printf("%d chunks: %q %v\n", len(parts), v, err)

	_, err = h.Assemble(func(i int) ([]byte, bool) { return parts[i], i != 1 })
	fmt.Println(err != nil)
	// Output:
	// 3 chunks: "a value of twenty-six bytes" <nil>
	// true
}

// records is a toy store: named records in a map.
type records map[string]string

// put is one Set of key in records, as a store plugs into Write: chunks are
// named "key/gen/i", the head "key" holds "gen/chunks".
type put struct {
	r   records
	key string
}

func (p put) PutChunks(_ context.Context, gen chunk.Ref, parts [][]byte) error {
	for i, part := range parts {
		p.r[fmt.Sprintf("%s/%s/%d", p.key, gen.Gen, i)] = string(part)
	}
	return nil
}

func (p put) PutHead(_ context.Context, gen chunk.Ref) ([]chunk.Ref, error) {
	var old chunk.Ref
	if h, ok := p.r[p.key]; ok {
		_, _ = fmt.Sscanf(strings.ReplaceAll(h, "/", " "), "%s %d", &old.Gen, &old.Chunks)
	}
	p.r[p.key] = fmt.Sprintf("%s/%d", gen.Gen, gen.Chunks)
	if old.Chunks == 0 {
		return nil, nil
	}
	return []chunk.Ref{old}, nil
}

func (p put) DeleteChunks(_ context.Context, gens []chunk.Ref) error {
	for _, g := range gens {
		for _, name := range g.Names(func(gen string, i int) string { return fmt.Sprintf("%s/%s/%d", p.key, gen, i) }) {
			delete(p.r, name)
		}
	}
	return nil
}

// Write runs a store's three writes in the order that keeps readers safe:
// chunks, head, then the replaced chunks.
func ExampleWrite() {
	r := records{}
	for _, gen := range []string{"g1", "g2"} {
		parts := chunk.Split([]byte("hello, world"), 5)
		if err := chunk.Write(context.Background(), put{r, "k"}, chunk.Ref{Gen: gen, Chunks: len(parts)}, parts); err != nil {
			fmt.Println(err)
		}
	}
	fmt.Println(len(r), "records; head", r["k"], "; first chunk", r["k/g2/0"])
	// Output:
	// 4 records; head g2/3 ; first chunk hello
}
