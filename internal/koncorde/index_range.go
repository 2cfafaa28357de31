package koncorde

import (
	"slices"
	"sync"
	"sync/atomic"
)

// rangeIndex finds the range conditions of one field containing a number.
// Conditions are kept in a list; a static interval tree over them is
// rebuilt on the first test after a change (registration stays O(1)), by
// whichever reader gets there first.
type rangeIndex struct {
	entries []*entry
	tree    atomic.Pointer[intervalTree]
	mu      sync.Mutex // serializes rebuilds between concurrent readers
}

func (r *rangeIndex) len() int { return len(r.entries) }

func (r *rangeIndex) add(e *entry) {
	r.entries = append(r.entries, e)
	r.tree.Store(nil)
}

func (r *rangeIndex) remove(e *entry) {
	r.entries = deleteFirst(r.entries, e)
	r.tree.Store(nil)
}

// stab hits every condition whose bounds contain x.
func (r *rangeIndex) stab(x float64, sc *scratch, p *probe) {
	t := r.tree.Load()
	if t == nil {
		r.mu.Lock()
		if t = r.tree.Load(); t == nil {
			t = buildIntervalTree(r.entries)
			r.tree.Store(t)
		}
		r.mu.Unlock()
	}
	t.stab(0, len(t.lo), x, sc, p)
}

// intervalTree is an implicit balanced search tree over intervals sorted
// by lower bound: the root of [l, r) is its middle, and max holds the
// highest upper bound of each subtree.
type intervalTree struct {
	lo, hi, max []float64
	e           []*entry
}

func buildIntervalTree(entries []*entry) *intervalTree {
	sorted := slices.Clone(entries)
	slices.SortFunc(sorted, func(a, b *entry) int {
		switch {
		case a.c.lo < b.c.lo:
			return -1
		case a.c.lo > b.c.lo:
			return 1
		}
		return 0
	})
	n := len(sorted)
	t := &intervalTree{lo: make([]float64, n), hi: make([]float64, n), max: make([]float64, n), e: sorted}
	for i, e := range sorted {
		t.lo[i], t.hi[i] = e.c.lo, e.c.hi
	}
	t.fill(0, n)
	return t
}

func (t *intervalTree) fill(l, r int) float64 {
	if l >= r {
		return negInf
	}
	mid := (l + r) / 2
	m := max(t.hi[mid], t.fill(l, mid), t.fill(mid+1, r))
	t.max[mid] = m
	return m
}

func (t *intervalTree) stab(l, r int, x float64, sc *scratch, p *probe) {
	for l < r {
		mid := (l + r) / 2
		if t.max[mid] < x {
			return
		}
		t.stab(l, mid, x, sc, p)
		if t.lo[mid] > x {
			return
		}
		if t.hi[mid] >= x {
			sc.hit(t.e[mid], p)
		}
		l = mid + 1
	}
}
