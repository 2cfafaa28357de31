package koncorde

import "slices"

// scratch is the per-test state, pooled: seen marks per subfilter and per
// filter, valid for the current epoch only so that nothing needs clearing
// between tests.
type scratch struct {
	epoch  uint32
	stamp  []uint32 // per subfilter id
	fstamp []uint32 // per filter slot
	out    []string // ids found, reused: the caller gets a copy
	scope  *scope
	probe  probe
	doc    document  // reused by Engine.Test and TestJSON
	flat   flattener // reused by Engine.TestJSON
}

func (sc *scratch) begin(s *scope) {
	sc.epoch++
	if sc.epoch == 0 { // wrapped: old stamps could look current
		clear(sc.stamp)
		clear(sc.fstamp)
		sc.epoch = 1
	}
	if n := len(s.slots); len(sc.stamp) < n {
		sc.stamp = append(sc.stamp, make([]uint32, n-len(sc.stamp))...)
	}
	if n := int(s.nfilter); len(sc.fstamp) < n {
		sc.fstamp = append(sc.fstamp, make([]uint32, n-len(sc.fstamp))...)
	}
	sc.out = sc.out[:0]
	sc.scope = s
}

// hit reports a positive condition that holds: its filters of one
// condition, and the subfilters anchored on it whose other conditions hold.
func (sc *scratch) hit(e *entry, p *probe) {
	for _, d := range e.direct {
		if sc.fstamp[d.slot] != sc.epoch {
			sc.fstamp[d.slot] = sc.epoch
			sc.out = append(sc.out, d.id)
		}
	}
	for _, sf := range e.multi {
		if sc.stamp[sf.id] == sc.epoch {
			continue // already tested on this document
		}
		sc.stamp[sf.id] = sc.epoch
		if sf.holdsRest(p) {
			sc.complete(sf, p)
		}
	}
}

// complete checks the residual conditions (negated and external) of a
// subfilter whose positive ones all hold, and reports its filters.
func (sc *scratch) complete(sf *subfilter, p *probe) {
	for _, l := range sf.negs {
		if !holds(l, p) {
			return
		}
	}
	for _, f := range sf.filters {
		if sc.fstamp[f.slot] != sc.epoch {
			sc.fstamp[f.slot] = sc.epoch
			sc.out = append(sc.out, f.id)
		}
	}
}

// match returns the ids of the scope's filters matching the document.
func (s *scope) match(d *document, sc *scratch) []string {
	sc.begin(s)
	p := &sc.probe
	p.reset(d, nil)
	for i := range d.fields {
		f := &d.fields[i]
		if fi := s.fields[f.path]; fi != nil {
			switch f.kind {
			case kindString:
				fi.hitsString(f.path, f.str, p, sc)
			case kindNumber:
				fi.hitsNumber(f.path, f.num, p, sc)
			default:
				fi.hits(f.path, f.value, p, sc)
			}
		}
	}
	return s.finish(p, sc)
}

// matchBody is match driven by the scope's fields instead of the
// document's: cheaper when the scope indexes fewer fields than the
// document has keys.
func (s *scope) matchBody(body map[string]any, sc *scratch) []string {
	sc.begin(s)
	p := &sc.probe
	p.reset(&sc.doc, body)
	sc.doc.fields = sc.doc.fields[:0]
	for _, fi := range s.fieldList() {
		if v, ok := lookupPath(body, fi.path); ok {
			fi.hits(fi.path, v, p, sc)
		}
	}
	return s.finish(p, sc)
}

func (s *scope) finish(p *probe, sc *scratch) []string {
	for _, sf := range s.always {
		sc.complete(sf, p)
	}
	var out []string
	if len(sc.out) > 0 { // one allocation, of the right size
		out = slices.Clone(sc.out)
		clear(sc.out)
	}
	sc.scope = nil
	p.document, p.body = nil, nil
	return out
}
