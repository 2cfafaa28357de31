package koncorde

import (
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestRangeSearch checks the bucket grid and the tree of wide intervals
// against a scan of every interval.
func TestRangeSearch(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{10, 100, 1000} {
		var entries []*entry
		for i := range n {
			lo := r.Float64() * 1000
			hi := lo + r.ExpFloat64()*5
			switch i % 17 {
			case 0:
				lo = math.Inf(-1)
			case 1:
				hi = math.Inf(1)
			case 2:
				hi = lo + 900
			case 3:
				hi = lo
			}
			entries = append(entries, &entry{c: &condition{kw: kwRange, lo: lo, hi: hi, key: strconv.Itoa(i)}})
		}
		s := buildRangeSearch(entries)
		probes := []float64{-1, 0, 1000, 2000, math.Inf(1), math.Inf(-1), math.NaN(), entries[3].c.lo}
		for range 500 {
			probes = append(probes, r.Float64()*1100-50)
		}
		for _, x := range probes {
			var got, want []*entry
			s.visit(x, func(e *entry) { got = append(got, e) })
			for _, e := range entries {
				if e.c.lo <= x && x <= e.c.hi {
					want = append(want, e)
				}
			}
			if len(got) != len(want) || !slices.EqualFunc(sortEntries(got), sortEntries(want), func(a, b *entry) bool { return a == b }) {
				t.Fatalf("n=%d x=%v: %d hits, want %d", n, x, len(got), len(want))
			}
		}
	}
}

func sortEntries(l []*entry) []*entry {
	slices.SortFunc(l, func(a, b *entry) int { return strings.Compare(a.c.key, b.c.key) })
	return l
}
