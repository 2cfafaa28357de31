package koncorde

// impossible applies koncorde's removal of impossible predicates to one
// term. Koncorde drops a term where a field is tested missing (in any
// form, array value included) and also tested equal, existing or in a
// range; where one field must equal two values; where a field must equal
// and not equal one value; where an equality falls outside a range on the
// same field. Most of these terms could not match anyway; the ones with an
// array-value "missing" could, and koncorde drops them all the same, so
// Starling does too, to match the same documents.
func impossible(t []literal) bool {
	equals := map[string]any{}
	missing := map[string]bool{}
	present := map[string]bool{}
	notEquals := map[string][]any{}
	ranges := map[string][]*condition{}
	for _, l := range t {
		c := l.c
		switch {
		case c.kw == kwEquals && !l.not:
			if v, ok := equals[c.field]; ok && v != c.value {
				return true
			}
			equals[c.field] = c.value
			present[c.field] = true
		case c.kw == kwEquals:
			notEquals[c.field] = append(notEquals[c.field], c.value)
		case c.kw == kwExists && !l.not:
			present[c.field] = true
		case c.kw == kwExists:
			missing[c.field] = true
		case c.kw == kwRange && !l.not:
			ranges[c.field] = append(ranges[c.field], c)
			present[c.field] = true
		}
	}
	for f := range present {
		if missing[f] {
			return true
		}
	}
	for f, v := range equals {
		for _, n := range notEquals[f] {
			if n == v {
				return true
			}
		}
		for _, r := range ranges[f] {
			x, ok := v.(float64)
			if !ok || x < r.lo || x > r.hi {
				return true
			}
		}
	}
	return false
}
