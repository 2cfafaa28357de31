package koncorde

// holds is the meaning of a literal on a document, koncorde's: the
// reference the indexes agree with, and the test of negated literals and
// of select queries.
func holds(l literal, d *probe) bool {
	if l.not {
		return holdsNot(l.c, d)
	}
	return holdsPos(l.c, d)
}

func holdsPos(c *condition, d *probe) bool {
	if c.kw == kwExternal {
		m, failed := c.ext.test(d.json())
		return m && !failed
	}
	f, ok := d.lookup(c.field)
	switch c.kw {
	case kwEquals:
		return ok && f.equals(c.value)
	case kwExists:
		if !c.array {
			return ok
		}
		arr, isArr := f.value.([]any)
		return isArr && containsScalar(arr, c.value)
	case kwRange:
		x, isNum := f.number()
		return isNum && x >= c.lo && x <= c.hi
	case kwRegexp:
		s, isStr := f.string()
		return isStr && c.re.MatchString(s)
	case kwGeo:
		p, valid := d.point(c.field)
		return valid && c.shape.contains(p)
	case kwMatch:
		return d.matchObject(c.match)
	case kwSelect:
		return selectHolds(c, f.value)
	}
	return false
}

func holdsNot(c *condition, d *probe) bool {
	if c.kw == kwExternal {
		m, failed := c.ext.test(d.json())
		return !m && !failed
	}
	f, ok := d.lookup(c.field)
	switch c.kw {
	case kwRange:
		x, isNum := f.number()
		return !isNum || x <= c.nlo || x >= c.nhi
	case kwRegexp:
		return !ok || !c.re.MatchString(f.jsString())
	case kwGeo:
		if !f.truthy() {
			return true
		}
		p, valid := d.point(c.field)
		return valid && !c.shape.contains(p)
	case kwNothing:
		return true
	}
	return !holdsPos(c, d)
}

// containsScalar is Array.prototype.includes for a scalar (non-scalar
// values never equal anything).
func containsScalar(arr []any, want any) bool {
	if !isScalar(want) {
		return false
	}
	for _, e := range arr {
		if isScalar(e) && e == want {
			return true
		}
	}
	return false
}

// selectHolds tests a select query on the array element it designates,
// seen as the document {value: element}.
func selectHolds(c *condition, v any) bool {
	arr, ok := v.([]any)
	if !ok {
		return false
	}
	i := c.index
	if i < 0 {
		i += len(arr)
	}
	if i < 0 || i >= len(arr) {
		return false
	}
	body := map[string]any{"value": arr[i]}
	sub := &probe{document: newDocument(body, "")}
	sub.document.body = body
	return c.query.holds(sub)
}

// holds evaluates a form directly on a document, without indexes.
func (f *form) holds(d *probe) bool {
	for _, t := range f.terms {
		all := true
		for _, l := range t {
			if !holds(l, d) {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}
