package memo

import (
	"fmt"
	"testing"
)

// TestKeptOnSecondSight: an input is noted the first time it is offered,
// kept the second, and answered after that.
func TestKeptOnSecondSight(t *testing.T) {
	m := New(64)
	in := []byte("input")
	h := m.Sum(in)
	m.Put(h, in, "value")
	if _, ok := m.Get(h, in); ok {
		t.Fatal("kept at the first sight")
	}
	m.Put(h, in, "value")
	if v, ok := m.Get(h, in); !ok || v != "value" {
		t.Fatalf("after the second sight: %q, %v", v, ok)
	}
	in[0] = 'X' // the table keeps a copy
	if v, ok := m.Get(h, []byte("input")); !ok || v != "value" {
		t.Fatalf("the kept input changed with the caller's bytes: %q, %v", v, ok)
	}
}

// TestAnswersOnlyItsOwnInput: inputs that share a fingerprint (so a set and
// a seen slot) never answer for each other, and the two kept last in a set
// both stay.
func TestAnswersOnlyItsOwnInput(t *testing.T) {
	m := New(64)
	const h = 12345
	a, b, c := []byte("input a"), []byte("input b"), []byte("input c")
	m.Put(h, a, "val a") // noted
	m.Put(h, a, "val a") // kept
	if v, ok := m.Get(h, b); ok {
		t.Fatalf("input b answered by %q", v)
	}
	m.Put(h, b, "val b") // h is seen: kept
	m.Put(h, c, "val c")
	for _, tc := range []struct {
		in   []byte
		want string
		ok   bool
	}{{a, "", false}, {b, "val b", true}, {c, "val c", true}} {
		if v, ok := m.Get(h, tc.in); v != tc.want || ok != tc.ok {
			t.Errorf("Get(%q) = %q, %v; want %q, %v", tc.in, v, ok, tc.want, tc.ok)
		}
	}
}

// TestInputsSeenOnceKeepNothing: a stream of inputs each offered once adds
// no entry (so no allocation) and evicts none.
func TestInputsSeenOnceKeepNothing(t *testing.T) {
	m := New(64)
	hot := []byte("hot")
	m.Put(m.Sum(hot), hot, "v")
	m.Put(m.Sum(hot), hot, "v")
	n := 0
	for i := range 5000 {
		in := fmt.Appendf(nil, "cold %d", i)
		m.Put(m.Sum(in), in, "x")
	}
	m.Entries(func(in, val string) {
		n++
		if in != "hot" {
			t.Errorf("kept %q, offered once", in)
		}
	})
	if v, ok := m.Get(m.Sum(hot), hot); n != 1 || !ok || v != "v" {
		t.Fatalf("%d entries; hot = %q, %v", n, v, ok)
	}
}

// TestConcurrent: Get and Put from several goroutines (under -race) answer
// each input only with its own value.
func TestConcurrent(t *testing.T) {
	m := New(64)
	done := make(chan struct{})
	for g := range 4 {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := range 5000 {
				in := fmt.Appendf(nil, "in %d", (i+g)%300)
				want := "val " + string(in)
				h := m.Sum(in)
				if v, ok := m.Get(h, in); ok && v != want {
					t.Errorf("Get(%s) = %q", in, v)
					return
				}
				m.Put(h, in, want)
			}
		}()
	}
	for range 4 {
		<-done
	}
}
