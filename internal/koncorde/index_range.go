package koncorde

import (
	"cmp"
	"math"
	"slices"
	"sync"
	"sync/atomic"
)

// rangeIndex finds the range conditions of one field containing a number.
// Conditions are kept in a list; a static search structure over them is
// rebuilt on the first test after a change (registration stays O(1)), by
// whichever reader gets there first.
type rangeIndex struct {
	entries []*entry
	tree    atomic.Pointer[rangeSearch]
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

// stab calls hit on every condition whose bounds contain x.
func (r *rangeIndex) stab(x float64, hit func(*entry)) {
	t := r.tree.Load()
	if t == nil {
		r.mu.Lock()
		if t = r.tree.Load(); t == nil {
			t = buildRangeSearch(r.entries)
			r.tree.Store(t)
		}
		r.mu.Unlock()
	}
	t.visit(x, hit)
}

// rangeSearch is a grid of buckets over the span of the finite intervals,
// each bucket listing the intervals that overlap it, plus an interval tree
// for the intervals too wide for the grid. A number costs one bucket scan
// and, when there are wide intervals, one tree search.
type rangeSearch struct {
	origin, width float64 // of a bucket; width 0: no grid
	offsets       []int32 // bucket i is nodes[offsets[i]:offsets[i+1]]
	nodes         []intervalNode
	wide          *intervalTree
}

// maxBuckets bounds the buckets an interval may span in the grid.
const maxBuckets = 8

func buildRangeSearch(entries []*entry) *rangeSearch {
	s := &rangeSearch{}
	widths := make([]float64, 0, len(entries))
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, e := range entries {
		if finiteInterval(e.c) {
			widths = append(widths, e.c.hi-e.c.lo)
			lo, hi = min(lo, e.c.lo), max(hi, e.c.hi)
		}
	}
	span := hi - lo
	if len(widths) < 64 || !(span > 0) || math.IsInf(span, 0) {
		s.wide = buildIntervalTree(entries)
		return s
	}
	// Buckets at least as wide as three intervals in four, so that a
	// number scans about twice the intervals that contain it, and no more
	// buckets than twice the intervals.
	slices.Sort(widths)
	s.origin = lo
	s.width = max(widths[len(widths)*3/4], span/float64(2*len(widths)))
	nb := s.bucket(hi) + 1
	counts := make([]int32, nb+1)
	var wide []*entry
	for _, e := range entries {
		if !s.inGrid(e.c) {
			wide = append(wide, e)
			continue
		}
		for b := s.bucket(e.c.lo); b <= s.bucket(e.c.hi); b++ {
			counts[b+1]++
		}
	}
	for i := 1; i <= nb; i++ {
		counts[i] += counts[i-1]
	}
	s.offsets = slices.Clone(counts)
	s.nodes = make([]intervalNode, counts[nb])
	for _, e := range entries {
		if !s.inGrid(e.c) {
			continue
		}
		for b := s.bucket(e.c.lo); b <= s.bucket(e.c.hi); b++ {
			s.nodes[counts[b]] = intervalNode{lo: e.c.lo, hi: e.c.hi, e: e}
			counts[b]++
		}
	}
	if len(wide) > 0 {
		s.wide = buildIntervalTree(wide)
	}
	return s
}

func finiteInterval(c *condition) bool {
	w := c.hi - c.lo
	return !math.IsInf(w, 0) && !math.IsNaN(w)
}

// inGrid tells the intervals the grid holds: finite and narrow enough.
func (s *rangeSearch) inGrid(c *condition) bool {
	return finiteInterval(c) && s.bucket(c.hi)-s.bucket(c.lo) < maxBuckets
}

// bucket is the grid bucket of x, clamped to the grid: monotonic in x, so
// that an interval's buckets include the bucket of every number in it.
func (s *rangeSearch) bucket(x float64) int {
	f := math.Floor((x - s.origin) / s.width)
	if !(f > 0) {
		return 0
	}
	if last := float64(len(s.offsets) - 2); len(s.offsets) > 0 && f > last {
		return int(last)
	}
	return int(f)
}

// visit calls hit on every condition whose bounds contain x, once each.
func (s *rangeSearch) visit(x float64, hit func(*entry)) {
	if s.wide != nil {
		s.wide.stab(0, len(s.wide.nodes), x, hit)
	}
	if s.width == 0 || math.IsNaN(x) {
		return
	}
	b := s.bucket(x)
	for i := s.offsets[b]; i < s.offsets[b+1]; i++ {
		if n := &s.nodes[i]; n.lo <= x && x <= n.hi {
			hit(n.e)
		}
	}
}

// intervalTree is an implicit balanced search tree over intervals sorted
// by lower bound: the root of [l, r) is its middle, and max holds the
// highest upper bound of each subtree. A node's numbers and condition sit
// together, so that visiting it costs one cache line.
type intervalTree struct {
	nodes []intervalNode
}

type intervalNode struct {
	lo, hi, max float64
	e           *entry
}

func buildIntervalTree(entries []*entry) *intervalTree {
	t := &intervalTree{nodes: make([]intervalNode, len(entries))}
	for i, e := range entries {
		t.nodes[i] = intervalNode{lo: e.c.lo, hi: e.c.hi, e: e}
	}
	slices.SortFunc(t.nodes, func(a, b intervalNode) int { return cmp.Compare(a.lo, b.lo) })
	t.fill(0, len(t.nodes))
	return t
}

func (t *intervalTree) fill(l, r int) float64 {
	if l >= r {
		return negInf
	}
	mid := (l + r) / 2
	m := max(t.nodes[mid].hi, t.fill(l, mid), t.fill(mid+1, r))
	t.nodes[mid].max = m
	return m
}

func (t *intervalTree) stab(l, r int, x float64, hit func(*entry)) {
	for l < r {
		mid := (l + r) / 2
		n := &t.nodes[mid]
		if n.max < x {
			return
		}
		t.stab(l, mid, x, hit)
		if n.lo > x {
			return
		}
		if n.hi >= x {
			hit(n.e)
		}
		l = mid + 1
	}
}
