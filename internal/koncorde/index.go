package koncorde

import "math"

// fieldIndex holds the positive conditions on one field path, one
// structure per keyword, so that a document field costs one lookup here
// plus what its value hits.
type fieldIndex struct {
	path      string
	equalsStr map[string]*entry // string value → equals condition
	equals    map[any]*entry    // other scalar value → equals condition
	exists    *entry            // exists without array value
	existsArr map[any]*entry    // array value → exists path[value]
	ranges    *rangeIndex
	regexps   *regexpIndex
	geo       *geoIndex
	selects   []*entry
	matches   []*entry // match conditions whose first key is this path
}

func (s *scope) field(path string) *fieldIndex {
	fi := s.fields[path]
	if fi == nil {
		fi = &fieldIndex{path: path}
		s.fields[path] = fi
		s.listPtr.Store(nil)
	}
	return fi
}

// entryOf returns the entry of a positive condition, nil if none holds it.
// Equals conditions are found by field and value in their index, the
// other ones by key.
func (s *scope) entryOf(c *condition) *entry {
	if c.kw != kwEquals {
		return s.conds[c.key]
	}
	fi := s.fields[c.field]
	if fi == nil {
		return nil
	}
	if x, ok := c.value.(string); ok {
		return fi.equalsStr[x]
	}
	return fi.equals[c.value]
}

// newEntry indexes a new positive condition.
func (s *scope) newEntry(c *condition) *entry {
	e := &entry{c: c}
	if c.kw != kwEquals {
		s.conds[c.key] = e
	}
	s.index(e)
	return e
}

// dropEntry takes a condition no subfilter needs any more out of the
// indexes.
func (s *scope) dropEntry(e *entry) {
	if e.c.kw != kwEquals {
		delete(s.conds, e.c.key)
	}
	s.unindex(e)
}

// index puts a new positive condition into the indexes.
func (s *scope) index(e *entry) {
	c := e.c
	switch c.kw {
	case kwEquals:
		fi := s.field(c.field)
		if x, ok := c.value.(string); ok {
			if fi.equalsStr == nil {
				fi.equalsStr = map[string]*entry{}
			}
			fi.equalsStr[x] = e
			return
		}
		if fi.equals == nil {
			fi.equals = map[any]*entry{}
		}
		fi.equals[c.value] = e
	case kwExists:
		fi := s.field(c.field)
		switch {
		case !c.array:
			fi.exists = e
		case isScalar(c.value):
			if fi.existsArr == nil {
				fi.existsArr = map[any]*entry{}
			}
			fi.existsArr[c.value] = e
		}
	case kwRange:
		fi := s.field(c.field)
		if fi.ranges == nil {
			fi.ranges = &rangeIndex{}
		}
		fi.ranges.add(e)
	case kwRegexp:
		fi := s.field(c.field)
		if fi.regexps == nil {
			fi.regexps = &regexpIndex{}
		}
		fi.regexps.add(e)
	case kwGeo:
		fi := s.field(c.field)
		if fi.geo == nil {
			fi.geo = newGeoIndex()
		}
		fi.geo.add(e)
	case kwSelect:
		fi := s.field(c.field)
		fi.selects = append(fi.selects, e)
	case kwMatch:
		fi := s.field(sortedKeys(c.match)[0])
		fi.matches = append(fi.matches, e)
	}
}

// unindex takes a condition no subfilter needs any more out of the indexes.
func (s *scope) unindex(e *entry) {
	c := e.c
	path := c.field
	if c.kw == kwMatch {
		path = sortedKeys(c.match)[0]
	}
	fi := s.fields[path]
	if fi == nil {
		return
	}
	switch c.kw {
	case kwEquals:
		if x, ok := c.value.(string); ok {
			delete(fi.equalsStr, x)
		} else {
			delete(fi.equals, c.value)
		}
	case kwExists:
		if !c.array {
			fi.exists = nil
		} else if isScalar(c.value) {
			delete(fi.existsArr, c.value)
		}
	case kwRange:
		fi.ranges.remove(e)
	case kwRegexp:
		fi.regexps.remove(e)
	case kwGeo:
		fi.geo.remove(e)
	case kwSelect:
		fi.selects = deleteFirst(fi.selects, e)
	case kwMatch:
		fi.matches = deleteFirst(fi.matches, e)
	}
	if fi.empty() {
		delete(s.fields, path)
		s.listPtr.Store(nil)
	}
}

func (fi *fieldIndex) empty() bool {
	return len(fi.equals) == 0 && len(fi.equalsStr) == 0 && fi.exists == nil && len(fi.existsArr) == 0 &&
		(fi.ranges == nil || fi.ranges.len() == 0) && (fi.regexps == nil || fi.regexps.len() == 0) &&
		(fi.geo == nil || fi.geo.len() == 0) && len(fi.selects) == 0 && len(fi.matches) == 0
}

// hits reports every positive condition of this field that the value
// satisfies, each once.
func (fi *fieldIndex) hits(path string, v any, p *probe, sc *scratch) {
	switch x := v.(type) {
	case string:
		fi.hitsString(path, x, p, sc)
		return
	case float64:
		fi.hitsNumber(path, x, p, sc)
		return
	}
	if fi.exists != nil {
		sc.hit(fi.exists, p)
	}
	switch x := v.(type) {
	case bool, nil:
		if e := fi.equals[x]; e != nil {
			sc.hit(e, p)
		}
	case []any:
		fi.arrayHits(x, p, sc)
	}
	fi.tail(path, truthy(v), p, sc)
}

// hitsString is hits for a string value.
func (fi *fieldIndex) hitsString(path, x string, p *probe, sc *scratch) {
	if fi.exists != nil {
		sc.hit(fi.exists, p)
	}
	if e := fi.equalsStr[x]; e != nil {
		sc.hit(e, p)
	}
	if fi.regexps != nil {
		fi.regexps.hits(x, sc, p)
	}
	fi.tail(path, x != "", p, sc)
}

// hitsNumber is hits for a number.
func (fi *fieldIndex) hitsNumber(path string, x float64, p *probe, sc *scratch) {
	if fi.exists != nil {
		sc.hit(fi.exists, p)
	}
	if e := fi.equals[x]; e != nil {
		sc.hit(e, p)
	}
	if fi.ranges != nil {
		fi.ranges.stab(x, func(e *entry) { sc.hit(e, p) })
	}
	fi.tail(path, x != 0 && !math.IsNaN(x), p, sc)
}

// tail is what hits tests for any kind of value: geo keywords on truthy
// values, match queries.
func (fi *fieldIndex) tail(path string, truthy bool, p *probe, sc *scratch) {
	if fi.geo != nil && truthy {
		if pt, ok := p.point(path); ok {
			fi.geo.query(pt, sc, p)
		}
	}
	for _, e := range fi.matches {
		if p.matchObject(e.c.match) {
			sc.hit(e, p)
		}
	}
}

func (fi *fieldIndex) arrayHits(arr []any, p *probe, sc *scratch) {
	if len(fi.existsArr) > 0 {
		for i, el := range arr {
			if !isScalar(el) || containsScalar(arr[:i], el) {
				continue
			}
			if e := fi.existsArr[el]; e != nil {
				sc.hit(e, p)
			}
		}
	}
	for _, e := range fi.selects {
		if selectHolds(e.c, arr) {
			sc.hit(e, p)
		}
	}
}

// fieldList returns the indexed fields as a slice, rebuilt after changes.
// Readers race to rebuild it under the engine's read lock: the list is
// published atomically and any copy is as good as another.
func (s *scope) fieldList() []*fieldIndex {
	if l := s.listPtr.Load(); l != nil {
		return *l
	}
	l := make([]*fieldIndex, 0, len(s.fields))
	for _, fi := range s.fields {
		l = append(l, fi)
	}
	s.listPtr.Store(&l)
	return l
}
