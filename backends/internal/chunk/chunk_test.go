package chunk_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/cachedhttp/cachedhttp/backends/internal/chunk"
)

func TestSplit(t *testing.T) {
	tests := []struct {
		name  string
		value string
		size  int
		want  []string
	}{
		{"an empty value has no chunks", "", 4, []string{}},
		{"a short value is one chunk", "ab", 4, []string{"ab"}},
		{"an exact multiple", "abcdefgh", 4, []string{"abcd", "efgh"}},
		{"the last chunk holds the rest", "abcdefghij", 4, []string{"abcd", "efgh", "ij"}},
		{"one byte a chunk", "abc", 1, []string{"a", "b", "c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parts := chunk.Split([]byte(tt.value), tt.size)
			if len(parts) != len(tt.want) || chunk.Count(len(tt.value), tt.size) != len(tt.want) {
				t.Fatalf("Split into %d chunks, Count %d; want %d", len(parts), chunk.Count(len(tt.value), tt.size), len(tt.want))
			}
			for i, p := range parts {
				if string(p) != tt.want[i] {
					t.Errorf("chunk %d = %q; want %q", i, p, tt.want[i])
				}
			}
		})
	}
	t.Run("chunks alias the value", func(t *testing.T) {
		v := []byte("abcdef")
		parts := chunk.Split(v, 4)
		v[5] = 'X'
		if string(parts[1]) != "eX" {
			t.Errorf("chunk 1 = %q after the value changed; want it to alias the value", parts[1])
		}
	})
}

func TestNewGeneration(t *testing.T) {
	a, b := chunk.NewGeneration(), chunk.NewGeneration()
	if len(a) != 24 || a == b {
		t.Errorf("NewGeneration = %q, %q; want two distinct 24-digit ids", a, b)
	}
}

func TestRefNames(t *testing.T) {
	r := chunk.Ref{Gen: "g", Chunks: 3}
	got := r.Names(func(gen string, i int) string { return "h/" + gen + "/" + string(rune('0'+i)) })
	if len(got) != 3 || got[0] != "h/g/0" || got[2] != "h/g/2" {
		t.Errorf("Names = %q", got)
	}
	if n := (chunk.Ref{}).Names(func(string, int) string { return "x" }); len(n) != 0 {
		t.Errorf("the zero Ref names %q; want nothing", n)
	}
}

// parts returns a part function over the given chunks (nil: missing).
func parts(chunks ...string) func(i int) ([]byte, bool) {
	return func(i int) ([]byte, bool) {
		if i >= len(chunks) || chunks[i] == missing {
			return nil, false
		}
		return []byte(chunks[i]), true
	}
}

const missing = "\x00missing"

func TestHeadAssemble(t *testing.T) {
	tests := []struct {
		name   string
		head   chunk.Head
		chunks []string
		want   string // "" with wantErr
		bad    bool
	}{
		{"chunks joined in order", chunk.Head{Gen: "g", Size: 5, Chunks: 3}, []string{"ab", "cd", "e"}, "abcde", false},
		{"a missing chunk is an error", chunk.Head{Gen: "g", Size: 5, Chunks: 3}, []string{"ab", missing, "e"}, "", true},
		{"a size mismatch is an error", chunk.Head{Gen: "g", Size: 6, Chunks: 3}, []string{"ab", "cd", "e"}, "", true},
		{"chunks longer than the size are an error", chunk.Head{Gen: "g", Size: 4, Chunks: 3}, []string{"ab", "cd", "e"}, "", true},
		{"a recorded chunk size is checked per chunk", chunk.Head{Size: 5, Chunks: 3, ChunkSize: 2}, []string{"a", "bcd", "e"}, "", true},
		{"a recorded chunk size allows a short last chunk", chunk.Head{Size: 5, Chunks: 3, ChunkSize: 2}, []string{"ab", "cd", "e"}, "abcde", false},
		{"a last chunk longer than the rest is an error", chunk.Head{Size: 5, Chunks: 3, ChunkSize: 2}, []string{"ab", "cd", "ef"}, "", true},
		{"no chunks make an empty value", chunk.Head{}, nil, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.head.Assemble(parts(tt.chunks...))
			if tt.bad {
				if !errors.Is(err, chunk.ErrIncomplete) {
					t.Fatalf("Assemble = %q, %v; want ErrIncomplete", got, err)
				}
				return
			}
			if err != nil || string(got) != tt.want || got == nil {
				t.Errorf("Assemble = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestAssemblerInOrder(t *testing.T) {
	h := chunk.Head{Size: 10, Chunks: 3, ChunkSize: 4}
	type add struct {
		i int
		p string
	}
	tests := []struct {
		name string
		adds []add
		want string
		bad  bool
	}{
		{"all chunks in order", []add{{0, "abcd"}, {1, "efgh"}, {2, "ij"}}, "abcdefghij", false},
		{"a skipped index", []add{{0, "abcd"}, {2, "ij"}}, "", true},
		{"a repeated index", []add{{0, "abcd"}, {0, "abcd"}}, "", true},
		{"a short middle chunk", []add{{0, "abcd"}, {1, "ef"}, {2, "ij"}}, "", true},
		{"a missing last chunk", []add{{0, "abcd"}, {1, "efgh"}}, "", true},
		{"an extra chunk", []add{{0, "abcd"}, {1, "efgh"}, {2, "ij"}, {3, "k"}}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := h.Assembler()
			var err error
			for _, c := range tt.adds {
				if err = a.Add(c.i, []byte(c.p)); err != nil {
					break
				}
			}
			var got []byte
			if err == nil {
				got, err = a.Value()
			}
			if tt.bad != errors.Is(err, chunk.ErrIncomplete) || string(got) != tt.want {
				t.Errorf("assembled %q, %v; want %q, error %v", got, err, tt.want, tt.bad)
			}
		})
	}
}

// FuzzAssemble checks that Assemble neither panics nor returns a value
// other than the head describes, whatever the head claims and the chunks
// hold.
func FuzzAssemble(f *testing.F) {
	f.Add(int64(5), 3, int64(0), []byte("ab\x00cd\x00e"))
	f.Add(int64(10), 3, int64(4), []byte("abcd\x00efgh\x00ij"))
	f.Add(int64(1<<50), 2, int64(1<<49), []byte("x\x00y"))
	f.Add(int64(0), 0, int64(0), []byte(""))
	f.Fuzz(func(t *testing.T, size int64, n int, chunkSize int64, joined []byte) {
		if size < 0 || n < 0 || n > 1<<10 || chunkSize < 0 {
			return // the stores' decoders reject these
		}
		chunks := bytes.Split(joined, []byte{0})
		h := chunk.Head{Size: size, Chunks: n, ChunkSize: chunkSize}
		v, err := h.Assemble(func(i int) ([]byte, bool) {
			if i >= len(chunks) {
				return nil, false
			}
			return chunks[i], true
		})
		if err != nil {
			if !errors.Is(err, chunk.ErrIncomplete) {
				t.Fatalf("Assemble error %v does not match ErrIncomplete", err)
			}
			return
		}
		if int64(len(v)) != size || v == nil {
			t.Fatalf("Assemble returned %d bytes (nil %v) for a head of %d", len(v), v == nil, size)
		}
		if want := bytes.Join(chunks[:n], nil); !bytes.Equal(v, want) {
			t.Fatalf("Assemble = %q; want the chunks joined, %q", v, want)
		}
	})
}
