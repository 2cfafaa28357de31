package koncorde

import (
	"strconv"
	"strings"
)

// node is a filter after validation: a tree of and, or and not over
// elementary conditions. A nil *node is the empty filter {}.
type node struct {
	op   byte // opCond, opAnd, opOr or opNot
	cond *condition
	kids []*node
}

const (
	opCond byte = iota
	opAnd
	opOr
	opNot
)

func leaf(c *condition) *node { return &node{op: opCond, cond: c} }

// parseFilter validates a filter and returns its tree, or the
// koncorde_dsl_error naming what is wrong.
func parseFilter(filter map[string]any) (*node, error) {
	return parseNode(filter, "")
}

// parseNode validates one filter object: exactly one keyword.
func parseNode(f map[string]any, path string) (*node, error) {
	if len(f) == 0 {
		return nil, nil
	}
	if len(f) > 1 {
		return nil, dslError(path, "Invalid filter syntax. Filters must have one keyword only")
	}
	kw := onlyKey(f)
	v := f[kw]
	kwPath := join(path, kw)
	switch kw {
	case "and":
		return parseList(v, kwPath, opAnd)
	case "or":
		return parseList(v, kwPath, opOr)
	case "not":
		return parseNot(v, kwPath)
	case "bool":
		return parseBool(v, kwPath)
	case "equals", "term":
		return parseEquals(v, kwPath)
	case "in", "terms":
		return parseIn(v, kwPath)
	case "ids":
		return parseIDs(v, kwPath)
	case "exists":
		return parseExists(v, kwPath, kw)
	case "missing":
		n, err := parseExists(v, kwPath, kw)
		if err != nil {
			return nil, err
		}
		return &node{op: opNot, kids: []*node{n}}, nil
	case "nothing":
		return leaf(&condition{kw: kwNothing, key: "nothing"}), nil
	case "range":
		return parseRange(v, kwPath)
	case "regexp":
		return parseRegexp(v, kwPath)
	case "match":
		return parseMatch(v, kwPath)
	case "select":
		return parseSelect(v, kwPath)
	case "geoBoundingBox":
		return parseGeoBoundingBox(v, kwPath)
	case "geoDistance":
		return parseGeoDistance(v, kwPath)
	case "geoDistanceRange":
		return parseGeoDistanceRange(v, kwPath)
	case "geoPolygon":
		return parseGeoPolygon(v, kwPath)
	case "wasm":
		return parseWasm(v, kwPath)
	}
	return nil, dslError(kwPath, "unknown keyword")
}

// parseList validates and/or: a non-empty array of non-empty objects.
func parseList(v any, path string, op byte) (*node, error) {
	items, err := expectArray(v, path, true, false)
	if err != nil {
		return nil, err
	}
	for _, it := range items {
		if o, ok := it.(map[string]any); !ok || len(o) == 0 {
			return nil, dslError(path, "can only contain non-empty objects")
		}
	}
	n := &node{op: op, kids: make([]*node, 0, len(items))}
	for _, it := range items {
		kid, err := parseNode(it.(map[string]any), path)
		if err != nil {
			return nil, err
		}
		n.kids = append(n.kids, kid)
	}
	return n, nil
}

func parseNot(v any, path string) (*node, error) {
	o, err := expectObject(v, path, objectRules{properties: 1})
	if err != nil {
		return nil, err
	}
	kid, err := parseNode(o, path)
	if err != nil {
		return nil, err
	}
	return &node{op: opNot, kids: []*node{kid}}, nil
}

// parseBool rewrites bool into and/or/not as koncorde does, so that its
// errors name the same paths (bool.and..., bool.and.not.or...).
func parseBool(v any, path string) (*node, error) {
	o, err := expectObject(v, path, objectRules{
		nonEmpty: true,
		allowed:  []string{"must", "must_not", "should", "should_not"},
	})
	if err != nil {
		return nil, err
	}
	var and []any
	if m := o["must"]; truthy(m) {
		if arr, ok := m.([]any); ok {
			and = append(and, arr...)
		} else {
			and = append(and, m)
		}
	}
	if m := o["must_not"]; truthy(m) {
		and = append(and, map[string]any{"not": map[string]any{"or": m}})
	}
	if m := o["should"]; truthy(m) {
		and = append(and, map[string]any{"or": m})
	}
	if m := o["should_not"]; truthy(m) {
		and = append(and, map[string]any{"not": map[string]any{"and": m}})
	}
	if and == nil {
		and = []any{}
	}
	return parseNode(map[string]any{"and": and}, path)
}

func parseEquals(v any, path string) (*node, error) {
	o, err := expectObject(v, path, objectRules{properties: 1})
	if err != nil {
		return nil, err
	}
	field := onlyKey(o)
	if !isScalar(o[field]) {
		return nil, dslError(join(path, field), "must either be a string, a number, a boolean, or null")
	}
	return leaf(equalsCond(field, o[field])), nil
}

// condKey builds a condition key: kind, quoted field, separator and the
// canonical JSON of value, in one allocation in the common cases.
func condKey(kind, field, sep string, value any) string {
	var b strings.Builder
	b.Grow(len(kind) + len(field) + len(sep) + 24)
	b.WriteString(kind)
	writeQuoted(&b, field)
	b.WriteString(sep)
	writeCanonical(&b, value)
	return b.String()
}

// writeQuoted writes strconv.Quote(s).
func writeQuoted(b *strings.Builder, s string) {
	if !plainJSONString(s) {
		b.WriteString(strconv.Quote(s))
		return
	}
	b.WriteByte('"')
	b.WriteString(s)
	b.WriteByte('"')
}

func equalsCond(field string, value any) *condition {
	return &condition{
		kw:    kwEquals,
		field: field,
		value: value,
		key:   condKey("eq:", field, "=", value),
	}
}

// parseIn validates in: an or of equals over strings.
func parseIn(v any, path string) (*node, error) {
	o, err := expectObject(v, path, objectRules{properties: 1})
	if err != nil {
		return nil, err
	}
	field := onlyKey(o)
	values, err := expectArray(o[field], join(path, field), true, true)
	if err != nil {
		return nil, err
	}
	return equalsAny(field, values), nil
}

func parseIDs(v any, path string) (*node, error) {
	o, err := expectObject(v, path, objectRules{properties: 1, required: []string{"values"}})
	if err != nil {
		return nil, err
	}
	values, err := expectArray(o["values"], join(path, "values"), true, true)
	if err != nil {
		return nil, err
	}
	return equalsAny("_id", values), nil
}

func equalsAny(field string, values []any) *node {
	n := &node{op: opOr, kids: make([]*node, len(values))}
	for i, v := range values {
		n.kids[i] = leaf(equalsCond(field, v))
	}
	return n
}

func parseMatch(v any, path string) (*node, error) {
	o, err := expectObject(v, path, objectRules{nonEmpty: true})
	if err != nil {
		return nil, err
	}
	return leaf(&condition{kw: kwMatch, rareCondition: &rareCondition{match: o}, key: "match:" + canonicalJSON(o)}), nil
}

func parseSelect(v any, path string) (*node, error) {
	o, err := expectObject(v, path, objectRules{properties: 3})
	if err != nil {
		return nil, err
	}
	field, err := expectString(o["field"], join(path, "field"))
	if err != nil {
		return nil, err
	}
	index, err := expectInteger(o["index"], join(path, "index"))
	if err != nil {
		return nil, err
	}
	q, err := expectObject(o["query"], join(path, "query"), objectRules{nonEmpty: true})
	if err != nil {
		return nil, err
	}
	qn, err := parseNode(q, join(path, "query"))
	if err != nil {
		return nil, err
	}
	c := &condition{kw: kwSelect, field: field, rareCondition: &rareCondition{index: index}}
	// The query's normal form is computed by the normalizer, which owns the
	// limits; it is kept on the side until then.
	c.query = &form{pending: qn}
	return leaf(c), nil
}
