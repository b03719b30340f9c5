package policy

import (
	"sync"
	"testing"
)

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
func readTwoOfOneSet(t *testing.T, inputs []string, sets int, set func(string) int, parse func(string)) {
	t.Helper()
	bySet := map[int][]string{}
	for _, s := range inputs {
		k := set(s) & (sets - 1)
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
