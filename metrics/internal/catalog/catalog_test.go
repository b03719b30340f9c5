package catalog_test

import (
	"regexp"
	"slices"
	"testing"

	"github.com/cachedhttp/cachedhttp"
	"github.com/cachedhttp/cachedhttp/metrics/internal/catalog"
)

func TestLabelValuesRoundTrip(t *testing.T) {
	for i, o := range catalog.Outcomes {
		if got := catalog.OutcomeIndex(o); got != i || catalog.OutcomeName(got) != string(o) {
			t.Errorf("outcome %q: index %d name %q", o, got, catalog.OutcomeName(got))
		}
	}
	for i, m := range catalog.Methods {
		if got := catalog.MethodIndex(m); got != i || catalog.MethodName(got) != m {
			t.Errorf("method %q: index %d name %q", m, got, catalog.MethodName(got))
		}
	}
	for i, op := range catalog.Ops {
		if got := catalog.OpIndex(op); got != i || catalog.OpName(got) != string(op) {
			t.Errorf("op %q: index %d name %q", op, got, catalog.OpName(got))
		}
	}
	for _, tt := range []struct{ name, got string }{
		{"unknown outcome", catalog.OutcomeName(catalog.OutcomeIndex("surprise"))},
		{"unknown method", catalog.MethodName(catalog.MethodIndex("PROPFIND"))},
		{"lower-case method", catalog.MethodName(catalog.MethodIndex("get"))},
		{"unknown op", catalog.OpName(catalog.OpIndex("scan"))},
	} {
		if tt.got != catalog.Other {
			t.Errorf("%s: label %q, want %q", tt.name, tt.got, catalog.Other)
		}
	}
	if got := catalog.MethodName(catalog.MethodIndex("")); got != "GET" {
		t.Errorf("empty method: label %q, want GET", got)
	}
}

func TestBreakerValue(t *testing.T) {
	for s, want := range map[cachedhttp.BreakerState]int64{
		cachedhttp.BreakerClosed: 0, cachedhttp.BreakerHalfOpen: 1, cachedhttp.BreakerOpen: 2,
	} {
		if got := catalog.BreakerValue(s); got != want {
			t.Errorf("BreakerValue(%q) = %d, want %d", s, got, want)
		}
	}
}

func TestCounterNames(t *testing.T) {
	valid := regexp.MustCompile(`^[a-z][a-z_]*[a-z]$`)
	unit := regexp.MustCompile(`^\{[a-z]+\}$`)
	var names []string
	for _, k := range catalog.Counters {
		if !valid.MatchString(k.Name) || !unit.MatchString(k.Unit) || k.Help == "" {
			t.Errorf("counter %+v: want a snake_case name, a {unit} and help", k)
		}
		names = append(names, k.Name)
	}
	slices.Sort(names)
	if len(slices.Compact(names)) != len(catalog.Counters) {
		t.Errorf("counter names are not unique: %v", names)
	}
}

func TestBoundariesIncrease(t *testing.T) {
	b := catalog.Boundaries
	if b[0] != 0.0001 || b[len(b)-1] != 10 || !slices.IsSorted(b) {
		t.Errorf("Boundaries = %v, want increasing from 100 µs to 10 s", b)
	}
}
