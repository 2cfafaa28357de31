package koncorde

import (
	"slices"
	"sync/atomic"
)

// scope holds the filters of one index and collection, their subfilters
// (the terms of their normal forms, shared between filters) and the
// per-field indexes of the positive conditions of those subfilters.
//
// A subfilter of one positive condition alone (a simple one, the term of
// most filters) is reached through its condition's entry: it needs no key
// in subs nor an id in slots, which keeps registration to few lookups.
type scope struct {
	filters []*storedFilter       // by filter slot, nil when free
	count   int                   // stored filters
	subs    map[string]*subfilter // subfilters that are not simple, by term key
	conds   map[string]*entry     // positive conditions but equals, by key
	fields  map[string]*fieldIndex
	matches []*entry // match conditions: tested on every document
	always  []*subfilter
	slots   []*subfilter // subfilters that are not simple, by id
	free    []int32
	nfilter int32
	freeF   []int32
	listPtr atomic.Pointer[[]*fieldIndex] // fields as a slice, nil when stale
}

// storedFilter is one registered filter.
type storedFilter struct {
	id    string
	scope *scope
	slot  int32
	subs  []*subfilter
	sub1  [1]*subfilter // backing array of subs for one-term filters
}

// subfilter is one term: it matches when its positive conditions all hold
// and none of its negated conditions fails.
//
// Only one positive condition of a subfilter, its anchor, is indexed for
// it: the one that should hold least often (see anchorCost). A hit on the
// anchor then tests the other positive conditions on the document. A
// condition that many subfilters share (kind == "alert" in a thousand
// filters that also name a device) thus costs nothing to documents that
// fail the rarer condition, where counting hits on every condition would
// touch each of those subfilters.
type subfilter struct {
	id       int32 // slot in scope.slots; -1 when simple
	always   int32 // position in scope.always, -1 when it has positives
	simple   bool  // one positive condition, no negated one: see entry.direct
	key      string
	anchor   *entry       // the indexed positive condition; nil when none
	rest     []*condition // the other positive conditions, tested on a hit
	negs     []literal    // negated, then external conditions: tested last
	filters  []*storedFilter
	filters1 [1]*storedFilter // backing array of filters for one filter
}

// entry is one positive condition and the subfilters anchored on it.
//
// A hit on the condition completes its simple subfilter, if it has one (a
// term of this condition alone), so that subfilter's filters are copied
// into direct: the hit reports them without going through hit counts,
// which is most of the matching work of one-condition filters.
type entry struct {
	c       *condition
	simple  *subfilter     // the term of this condition alone, if any
	multi   []*subfilter   // the other subfilters anchored on the condition
	direct  []directFilter // the filters of the simple subfilter
	direct1 [1]directFilter
}

// directFilter is a filter reported as soon as a condition holds.
type directFilter struct {
	slot int32
	id   string
}

func newScope() *scope {
	return &scope{
		subs:   map[string]*subfilter{},
		conds:  map[string]*entry{},
		fields: map[string]*fieldIndex{},
	}
}

func (s *scope) add(n *Normalized) *storedFilter {
	f := &storedFilter{id: n.ID, scope: s, slot: s.filterSlot()}
	s.filters[f.slot] = f
	s.count++
	f.subs = f.sub1[:0]
	if len(n.form.terms) > 1 {
		f.subs = make([]*subfilter, 0, len(n.form.terms))
	}
	for i, t := range n.form.terms {
		sf := s.subfilter(n.form.termKeys[i], t)
		if sf.filters == nil {
			sf.filters = sf.filters1[:0]
		}
		sf.filters = append(sf.filters, f)
		f.subs = append(f.subs, sf)
		if sf.simple {
			e := sf.anchor
			if e.direct == nil {
				e.direct = e.direct1[:0]
			}
			e.direct = append(e.direct, directFilter{slot: f.slot, id: f.id})
		}
	}
	return f
}

// subfilter returns the subfilter of a term, made if new.
func (s *scope) subfilter(key string, t []literal) *subfilter {
	if len(t) == 1 && !t[0].not && t[0].c.kw != kwExternal {
		if e := s.entryOf(t[0].c); e != nil && e.simple != nil {
			return e.simple
		}
	} else if sf := s.subs[key]; sf != nil {
		return sf
	}
	return s.newSubfilter(key, t)
}

func (s *scope) filterSlot() int32 {
	if n := len(s.freeF); n > 0 {
		slot := s.freeF[n-1]
		s.freeF = s.freeF[:n-1]
		return slot
	}
	s.nfilter++
	s.filters = append(s.filters, nil)
	return s.nfilter - 1
}

func (s *scope) newSubfilter(key string, t []literal) *subfilter {
	sf := &subfilter{key: key, always: -1, id: -1}
	var exts []literal
	var anchor *condition
	for _, l := range t {
		switch {
		case l.c.kw == kwExternal: // tested last, the costliest
			exts = append(exts, l)
		case l.not:
			sf.negs = append(sf.negs, l)
		case anchor == nil:
			anchor = l.c
		case s.anchorCost(l.c) < s.anchorCost(anchor):
			sf.rest = append(sf.rest, anchor)
			anchor = l.c
		default:
			sf.rest = append(sf.rest, l.c)
		}
	}
	sf.negs = append(sf.negs, exts...)
	if anchor != nil {
		sf.anchor = s.entryOf(anchor)
		if sf.anchor == nil {
			sf.anchor = s.newEntry(anchor)
		}
	}
	sf.simple = anchor != nil && len(sf.rest) == 0 && len(sf.negs) == 0
	if sf.simple {
		sf.anchor.simple = sf
		return sf
	}
	s.subs[key] = sf
	if n := len(s.free); n > 0 {
		sf.id = s.free[n-1]
		s.free = s.free[:n-1]
		s.slots[sf.id] = sf
	} else {
		sf.id = int32(len(s.slots))
		s.slots = append(s.slots, sf)
	}
	if sf.anchor != nil {
		sf.anchor.multi = append(sf.anchor.multi, sf)
	} else {
		sf.always = int32(len(s.always))
		s.always = append(s.always, sf)
	}
	return sf
}

// anchorCost ranks a positive condition as a subfilter's anchor: lower is
// better. Equality conditions come first, bare existence last (nearly
// every document has the field); between two of a kind, the one fewer
// subfilters are anchored on.
func (s *scope) anchorCost(c *condition) int {
	rank := 3
	switch c.kw {
	case kwEquals:
		rank = 0
	case kwExists:
		if c.array {
			rank = 0
		} else {
			rank = 4
		}
	case kwGeo, kwRange, kwRegexp:
		rank = 1
	}
	load := 0
	if e := s.entryOf(c); e != nil {
		load = len(e.multi) + len(e.direct)
	}
	return rank<<24 + min(load, 1<<24-1)
}

// holdsRest tests the positive conditions of a subfilter besides its
// anchor.
func (sf *subfilter) holdsRest(p *probe) bool {
	for _, c := range sf.rest {
		if !holdsPos(c, p) {
			return false
		}
	}
	return true
}

// remove deletes a filter and returns how many filters are left.
func (s *scope) remove(f *storedFilter) int {
	s.filters[f.slot] = nil
	s.count--
	s.freeF = append(s.freeF, f.slot)
	for _, sf := range f.subs {
		sf.filters = deleteFirst(sf.filters, f)
		if sf.simple {
			e := sf.anchor
			e.direct = slices.DeleteFunc(e.direct, func(d directFilter) bool { return d.slot == f.slot })
		}
		if len(sf.filters) == 0 {
			s.dropSubfilter(sf)
		}
	}
	return s.count
}

func (s *scope) dropSubfilter(sf *subfilter) {
	if !sf.simple {
		delete(s.subs, sf.key)
		s.slots[sf.id] = nil
		s.free = append(s.free, sf.id)
	}
	if sf.always >= 0 {
		last := s.always[len(s.always)-1]
		s.always[sf.always] = last
		last.always = sf.always
		s.always = s.always[:len(s.always)-1]
	}
	if e := sf.anchor; e != nil {
		if sf.simple {
			e.simple = nil
		} else {
			e.multi = deleteFirst(e.multi, sf)
		}
		if e.simple == nil && len(e.multi) == 0 {
			s.dropEntry(e)
		}
	}
}

func deleteFirst[T comparable](list []T, x T) []T {
	for i, v := range list {
		if v == x {
			copy(list[i:], list[i+1:])
			var zero T
			list[len(list)-1] = zero
			return list[:len(list)-1]
		}
	}
	return list
}
