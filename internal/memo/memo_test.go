package memo

import (
	"fmt"
	"strings"
	"testing"
	"unsafe"
)

// TestKeptOnSecondSight: an input is noted the first time it is offered,
// kept the second, and answered after that.
func TestKeptOnSecondSight(t *testing.T) {
	m := New[string](64, true)
	buf := []byte("input")
	in := string(buf)
	h := m.Sum(in)
	m.Put(h, in, "value")
	if _, ok := m.Get(h, in); ok {
		t.Fatal("kept at the first sight")
	}
	m.Put(h, in, "value")
	if v, ok := m.Get(h, in); !ok || v != "value" {
		t.Fatalf("after the second sight: %q, %v", v, ok)
	}
	if v, ok := m.Get(h, "input"); !ok || v != "value" {
		t.Fatalf("the kept input changed with the caller's bytes: %q, %v", v, ok)
	}
}

// TestAnswersOnlyItsOwnInput: inputs that share a fingerprint (so a set and
// a seen slot) never answer for each other, and the two kept last in a set
// both stay.
func TestAnswersOnlyItsOwnInput(t *testing.T) {
	m := New[string](64, true)
	const h = 12345
	a, b, c := "input a", "input b", "input c"
	m.Put(h, a, "val a") // noted
	m.Put(h, a, "val a") // kept
	if v, ok := m.Get(h, b); ok {
		t.Fatalf("input b answered by %q", v)
	}
	m.Put(h, b, "val b") // h is seen: kept
	m.Put(h, c, "val c")
	for _, tc := range []struct {
		in   string
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
	m := New[string](64, true)
	hot := "hot"
	m.Put(m.Sum(hot), hot, "v")
	m.Put(m.Sum(hot), hot, "v")
	n := 0
	for i := range 5000 {
		in := fmt.Sprintf("cold %d", i)
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
	m := New[string](64, true)
	done := make(chan struct{})
	for g := range 4 {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := range 5000 {
				in := fmt.Sprintf("in %d", (i+g)%300)
				want := "val " + in
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

// TestKeepsACopy: the table keeps its own copy of an input, never the
// larger string it was cut from, nor bytes the caller changes later.
func TestKeepsACopy(t *testing.T) {
	m := New[int](16, false)
	big := strings.Repeat("x", 1<<10)
	m.Put(0, big[:8], 1)
	buf := []byte("bytes")
	view := unsafe.String(unsafe.SliceData(buf), len(buf))
	m.Put(1, view, 2)
	buf[0] = 'X'
	m.Entries(func(in string, _ int) {
		if unsafe.StringData(in) == unsafe.StringData(big) || unsafe.StringData(in) == unsafe.SliceData(buf) {
			t.Fatalf("the entry %q shares the caller's bytes", in)
		}
	})
	if v, ok := m.Get(1, "bytes"); !ok || v != 2 {
		t.Fatalf("the kept input changed with the caller's bytes: %d, %v", v, ok)
	}
}

// TestWithoutAdmitKeepsAtFirstPut: a Table made without admit keeps an
// input the first time, and a set number is taken modulo the sets.
func TestWithoutAdmitKeepsAtFirstPut(t *testing.T) {
	m := New[int](16, false)
	m.Put(3, "a", 1)
	if v, ok := m.Get(3+uint64(m.Sets()), "a"); !ok || v != 1 {
		t.Fatalf("a: %d, %v", v, ok)
	}
	if _, ok := m.Get(4, "a"); ok {
		t.Fatal("another set answered for a")
	}
}
