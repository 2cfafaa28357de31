package koncorde

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"strings"
	"testing"

	"github.com/starlingmq/starling/internal/kerror"
)

// andOfOrs is an and of n two-way ors over distinct fields: 2^n minterms
// from 2n conditions, the shape that makes normal forms explode.
func andOfOrs(t testing.TB, n int) map[string]any {
	t.Helper()
	ors := make([]string, n)
	for i := range ors {
		ors[i] = fmt.Sprintf(`{"or":[{"equals":{"a%d":1}},{"equals":{"b%d":1}}]}`, i, i)
	}
	return mustJSON(t, `{"and":[`+strings.Join(ors, ",")+`]}`)
}

// expectTooManyTerms asserts that err is core.realtime.too_many_terms with those
// counts.
func expectTooManyTerms(t *testing.T, err error, limit int, received int64) {
	t.Helper()
	var ke *kerror.Error
	if !errors.As(err, &ke) {
		t.Fatalf("want core.realtime.too_many_terms, got %v", err)
	}
	want := fmt.Sprintf("Unable to subscribe: maximum number of terms exceeded (max %d, received %d).", limit, received)
	if ke.ID != "core.realtime.too_many_terms" || ke.Status != 413 || ke.Message != want {
		t.Fatalf("got %s %d %q, want core.realtime.too_many_terms 413 %q", ke.ID, ke.Status, ke.Message, want)
	}
	if len(ke.Props) != 2 || ke.Props[0] != limit || ke.Props[1] != received {
		t.Fatalf("props %v, want [%d %d]", ke.Props, limit, received)
	}
}

func TestMintermsLimit(t *testing.T) {
	e := New(WithMaxMinterms(256))
	if e.MaxMinterms() != 256 {
		t.Fatalf("MaxMinterms() = %d", e.MaxMinterms())
	}
	_, err := e.Normalize("i", "c", andOfOrs(t, 14))
	expectTooManyTerms(t, err, 256, 1<<14)

	// 2^8 minterms: exactly the limit.
	n, err := e.Normalize("i", "c", andOfOrs(t, 8))
	if err != nil {
		t.Fatalf("a filter at the limit was refused: %v", err)
	}
	if len(n.form.terms) != 256 {
		t.Fatalf("%d terms, want 256", len(n.form.terms))
	}
	_, err = New(WithMaxMinterms(255)).Normalize("i", "c", andOfOrs(t, 8))
	expectTooManyTerms(t, err, 255, 256)
}

func TestMintermsCountedBeforePruning(t *testing.T) {
	// a=1&a=2 and a=2&a=1 can never match: two terms are left of four.
	f := mustJSON(t, `{"and":[{"or":[{"equals":{"a":1}},{"equals":{"a":2}}]},{"or":[{"equals":{"a":1}},{"equals":{"a":2}}]}]}`)
	n, err := New().Normalize("i", "c", f)
	if err != nil || len(n.form.terms) != 2 {
		t.Fatalf("unlimited: %v, %v", n, err)
	}
	_, err = New(WithMaxMinterms(3)).Normalize("i", "c", f)
	expectTooManyTerms(t, err, 3, 4)
}

func TestMintermsInSelectQueries(t *testing.T) {
	f := mustJSON(t, `{"select":{"field":"list","index":0,"query":{"and":[
		{"or":[{"equals":{"a":1}},{"equals":{"b":1}}]},
		{"or":[{"equals":{"c":1}},{"equals":{"d":1}}]},
		{"or":[{"equals":{"e":1}},{"equals":{"f":1}}]}]}}}`) // 8 minterms in the query
	if _, err := New(WithMaxMinterms(8)).Normalize("i", "c", f); err != nil {
		t.Fatalf("a select query at the limit was refused: %v", err)
	}
	_, err := New(WithMaxMinterms(7)).Normalize("i", "c", f)
	expectTooManyTerms(t, err, 7, 8)
}

func TestManyOrsRefusedWithoutExpansion(t *testing.T) {
	e := New(WithMaxMinterms(256))
	f := andOfOrs(t, 40)
	_, err := e.Normalize("i", "c", f)
	expectTooManyTerms(t, err, 256, 1<<40)

	// Parsing the 80 conditions is all it costs: a few KB, where 2^14
	// expanded terms alone would weigh megabytes.
	const runs = 20
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range runs {
		if _, err := e.Normalize("i", "c", f); err == nil {
			t.Fatal("accepted")
		}
	}
	runtime.ReadMemStats(&after)
	if perRun := (after.TotalAlloc - before.TotalAlloc) / runs; perRun > 64<<10 {
		t.Fatalf("refusing 40 ors allocated %d bytes a run, want at most 64 KiB", perRun)
	}

	// Past 2^63 the count saturates instead of overflowing.
	_, err = e.Normalize("i", "c", andOfOrs(t, 70))
	expectTooManyTerms(t, err, 256, math.MaxInt64)
}

func TestNoMintermsLimitUnchanged(t *testing.T) {
	for _, e := range []*Engine{New(), New(WithMaxMinterms(-1))} {
		n, err := e.Normalize("i", "c", andOfOrs(t, 14))
		if err != nil || len(n.form.terms) != 1<<14 {
			t.Fatalf("14 ors without a limit: %v", err)
		}
		_, err = e.Normalize("i", "c", andOfOrs(t, 15))
		var ke *kerror.Error
		if !errors.As(err, &ke) || ke.ID != "api.assert.koncorde_dsl_error" ||
			ke.Message != "Filter too complex: its normal form exceeds 16384 subfilters" {
			t.Fatalf("15 ors without a limit: %v", err)
		}
	}
}

// TestCountMintermsIsExpansionSize checks the arithmetic count against the
// expansion itself on generated filters, negations and bool included.
func TestCountMintermsIsExpansionSize(t *testing.T) {
	for seed := range uint64(2000) {
		g := newGen(seed)
		f := g.filter(4)
		tree, err := parseFilter(f)
		if err != nil || tree == nil {
			continue
		}
		terms, err := dnf(tree, false)
		if err != nil {
			t.Fatalf("%s: %v", show(f), err)
		}
		if got := countMinterms(tree, false); got != int64(len(terms)) {
			t.Fatalf("%s: counted %d minterms, dnf made %d", show(f), got, len(terms))
		}
	}
}

func BenchmarkRefuseManyOrs(b *testing.B) {
	e := New(WithMaxMinterms(256))
	f := andOfOrs(b, 40)
	b.ReportAllocs()
	for range b.N {
		if _, err := e.Normalize("i", "c", f); err == nil {
			b.Fatal("accepted")
		}
	}
}
