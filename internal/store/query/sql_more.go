package query

import "strings"

// rangeNode selects documents that may hold a value within the range.
func (w *where) rangeNode(r *Range) (string, bool) {
	bounds := []struct {
		op string
		v  any
	}{{">", r.GT}, {">=", r.GTE}, {"<", r.LT}, {"<=", r.LTE}}
	var conds []Cond
	var kind Kind
	switch r.Field.Kind {
	case KindKeyword, KindDynamicKeyword:
		kind = KindKeyword
	case KindNumber, KindDate:
		kind = KindNumber
	case KindUnindexed, KindGeo:
		return sqlFalse, true
	case KindDynamic:
		return w.dynamicRange(r)
	default:
		return sqlTrue, false // text tokens, booleans
	}
	for _, b := range bounds {
		if b.v == nil {
			continue
		}
		key, ok := orderKey(r.Field.Kind, b.v, r.Format)
		if r.Field.Kind == KindDynamicKeyword {
			key, ok = orderKey(KindKeyword, b.v, r.Format)
		}
		if !ok {
			return sqlFalse, true // Matches refuses every value too
		}
		conds = append(conds, Cond{b.op, key})
	}
	if len(conds) == 0 {
		return w.d.Present(r.Field.Path), false
	}
	c, _ := w.d.Compare(r.Field.Path, conds, w.bind)
	if kind == KindKeyword {
		// numbers and booleans are indexed as their string
		return or([]string{c, w.d.Typed(r.Field.Path, "number"), w.d.Typed(r.Field.Path, "boolean")}), false
	}
	return or([]string{c, w.d.Typed(r.Field.Path, "string")}), false
}

// dynamicRange selects documents that may hold a value in range in a
// field whose type each value decides: numbers compared as numbers,
// strings (text: their tokens are compared) and booleans kept.
func (w *where) dynamicRange(r *Range) (string, bool) {
	var conds []Cond
	numeric, boolean := true, true
	for _, b := range []struct {
		op string
		v  any
	}{{">", r.GT}, {">=", r.GTE}, {"<", r.LT}, {"<=", r.LTE}} {
		if b.v == nil {
			continue
		}
		n, ok := numberOf(b.v)
		_, isBool := boolOf(b.v)
		numeric, boolean = numeric && ok, boolean && isBool
		conds = append(conds, Cond{b.op, n})
	}
	alts := []string{w.d.Typed(r.Field.Path, "string")}
	if numeric {
		if len(conds) == 0 {
			alts = append(alts, w.d.Typed(r.Field.Path, "number"))
		} else {
			c, _ := w.d.Compare(r.Field.Path, conds, w.bind)
			alts = append(alts, c)
		}
	}
	if boolean {
		alts = append(alts, w.d.Typed(r.Field.Path, "boolean"))
	}
	return or(alts), false
}

// prefix selects documents that may hold a string starting with p (or a
// token doing so on text fields).
func (w *where) prefix(f Field, p string) (string, bool) {
	var alts []string
	keyword := func() {
		if p == "" {
			alts = append(alts, w.d.Typed(f.Path, "string"))
		} else {
			c, _ := w.d.Compare(f.Path, []Cond{{">=", p}, {"<", p + "\xff"}}, w.bind)
			alts = append(alts, c)
		}
		if strings.Trim(p, "0123456789-.+eE") == "" {
			alts = append(alts, w.d.Typed(f.Path, "number"))
		}
		if strings.HasPrefix("true", p) || strings.HasPrefix("false", p) {
			alts = append(alts, w.d.Typed(f.Path, "boolean"))
		}
	}
	text := func() {
		switch {
		case p != strings.ToLower(p):
			// tokens are lowercase: none starts with p
		case asciiWord(p):
			alts = append(alts, w.d.Token(f.Path, p, true, w.bind))
		default:
			alts = append(alts, sqlTrue)
		}
	}
	switch f.Kind {
	case KindKeyword, KindDynamicKeyword:
		keyword()
	case KindText:
		text()
	case KindDynamic:
		text()
	default:
		return sqlFalse, true
	}
	if len(alts) == 0 {
		return sqlFalse, true
	}
	return or(alts), false
}

// match selects documents that may match an analyzed query.
func (w *where) match(m *Match) (string, bool) {
	if m.ZeroTermsAll && len(m.tokens) == 0 {
		return sqlTrue, true
	}
	var alts []string
	for _, f := range m.Fields {
		switch f.Kind {
		case KindText:
			alts = append(alts, w.words(f, m))
		case KindDynamic:
			alts = append(alts, w.words(f, m))
			c, _ := w.term(f, []any{m.Query})
			alts = append(alts, c)
		default:
			c, _ := w.term(f, []any{m.Query})
			alts = append(alts, c)
		}
	}
	return or(alts), false
}

// words requires the query's tokens (all of them for operator and and
// phrases, one of them otherwise) in the field's text.
func (w *where) words(f Field, m *Match) string {
	if len(m.tokens) == 0 {
		return sqlFalse
	}
	var parts []string
	for _, tok := range m.tokens {
		if !asciiWord(tok) {
			if m.And || m.Phrase {
				continue // cannot narrow on this one
			}
			return sqlTrue
		}
		parts = append(parts, w.d.Token(f.Path, tok, false, w.bind))
	}
	if m.And || m.Phrase {
		return and(parts)
	}
	return or(parts)
}

// OrderBy translates sort to an ORDER BY list (without the keywords)
// when the database can order as Elasticsearch does: by _id, _score
// (constant, so nothing), and fields of keyword, numeric, date and
// boolean kinds, missing values last unless asked first. ok is false for
// other fields. Values of another JSON type than the field's, and arrays
// (Elasticsearch takes their smallest or largest element), are ordered as
// the database orders them; date strings by their text. clause is "" when
// nothing orders.
func OrderBy(sort []SortField, d Dialect) (clause string, ok bool) {
	var parts []string
	for _, sf := range sort {
		dir := " ASC"
		if sf.Desc {
			dir = " DESC"
		}
		switch {
		case sf.Field.Name == "_score":
			continue
		case sf.Field.Name == "_id":
			parts = append(parts, d.ID()+dir)
			continue
		}
		switch sf.Field.Kind {
		case KindKeyword, KindNumber, KindDate, KindBool:
		default:
			return "", false
		}
		expr := d.Value(sf.Field.Path)
		nulls := " ASC" // false (a value) before true (missing)
		if sf.MissingFirst {
			nulls = " DESC"
		}
		parts = append(parts, "("+expr+" IS NULL)"+nulls, expr+dir)
	}
	return strings.Join(parts, ", "), true
}
