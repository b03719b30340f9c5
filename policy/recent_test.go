package policy

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"unsafe"
)

// TestRecentKeepsTheTwoLastOfASet: a set holds the two strings put last;
// the one before them is gone, and a set number is taken modulo the
// table's size.
func TestRecentKeepsTheTwoLastOfASet(t *testing.T) {
	var r recent[int]
	r.put(3, "a", 1)
	r.put(3, "b", 2)
	r.put(3+len(r.sets), "c", 3) // the same set
	if v, ok := r.get(3, "a"); ok {
		t.Fatalf("a, put before the last two, answered %d", v)
	}
	for s, want := range map[string]int{"b": 2, "c": 3} {
		if v, ok := r.get(3, s); !ok || v != want {
			t.Fatalf("%s: %d %v, want %d", s, v, ok, want)
		}
	}
	if _, ok := r.get(4, "b"); ok {
		t.Fatal("another set answered for b")
	}
}

// TestRecentKeepsACopy: the table keeps its own copy of a string, never
// the larger string it was cut from.
func TestRecentKeepsACopy(t *testing.T) {
	var r recent[int]
	big := strings.Repeat("x", 1<<10)
	r.put(0, big[:8], 1)
	e := r.sets[0][0].Load()
	if e.s != big[:8] || unsafe.StringData(e.s) == unsafe.StringData(big) {
		t.Fatal("the entry shares the larger string's bytes")
	}
}

// TestRecentAnswersOnlyItsOwnString: two goroutines put and get strings
// of one set (under -race); every answer is the value put for that very
// string.
func TestRecentAnswersOnlyItsOwnString(t *testing.T) {
	var r recent[int]
	var wg sync.WaitGroup
	for g := range 2 {
		wg.Go(func() {
			for i := range 2000 {
				n := (i*7 + g*13) % 50
				s := fmt.Sprint("k", n)
				if v, ok := r.get(5, s); ok && v != n {
					t.Errorf("%s answered %d", s, v)
					return
				}
				r.put(5, s, n)
			}
		})
	}
	wg.Wait()
}

// parseInTurns parses inputs in turns from two goroutines (under -race),
// through a parser's memo, and reports the first answer check refuses.
func parseInTurns(t *testing.T, inputs []string, check func(s string) error) {
	t.Helper()
	var wg sync.WaitGroup
	for g := range 2 {
		wg.Go(func() {
			for round := range 3 {
				for i := range inputs {
					if err := check(inputs[(i*7+g*13+round)%len(inputs)]); err != nil {
						t.Error(err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
}

// readTwoOfOneSet finds three inputs of one memo set (set is the parser's
// set function), parses them in order, then checks that the last two,
// read in turns, are answered without allocating: the parser keeps both.
func readTwoOfOneSet(t *testing.T, inputs []string, set func(string) int, parse func(string)) {
	t.Helper()
	var r recent[struct{}]
	bySet := map[int][]string{}
	for _, s := range inputs {
		k := set(s) & (len(r.sets) - 1)
		bySet[k] = append(bySet[k], s)
	}
	for k, in := range bySet {
		if len(in) < 3 {
			continue
		}
		parse(in[0])
		parse(in[1])
		parse(in[2]) // in[0] is gone now; in[1] and in[2] stay
		if n := testing.AllocsPerRun(100, func() {
			parse(in[1])
			parse(in[2])
		}); n != 0 {
			t.Fatalf("set %d: %q and %q read in turns allocate %.1f times per pair", k, in[1], in[2], n)
		}
		return
	}
	t.Fatalf("no set holds three of %d inputs", len(inputs))
}
