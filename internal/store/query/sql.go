package query

import (
	"strings"

	"github.com/starlingmq/starling/internal/store/mapping"
)

// Dialect is what Where and OrderBy need from a SQL database storing each
// document as JSON in one column. A condition a Dialect returns may
// select more documents than asked (a superset), never fewer; it says
// when it is exact.
type Dialect interface {
	// ID is the SQL expression of the document's _id.
	ID() string
	// Value is the SQL expression of the scalar at path, for ORDER BY:
	// NULL when missing or null.
	Value(path []string) string
	// Compare returns a condition selecting at least the documents where
	// a value at path satisfies every one of conds: the value itself, any
	// element when it is an array, under any element of an array met on
	// the way. Strings compare by bytes, numbers numerically, a string
	// never equals a number; booleans are true and false. bind adds an
	// argument and returns its placeholder.
	Compare(path []string, conds []Cond, bind func(any) string) (cond string, exact bool)
	// Typed returns a condition selecting at least the documents holding a
	// value of JSON type typ ("string", "number" or "boolean") at path,
	// in the same sense as Compare.
	Typed(path []string, typ string) string
	// Contains returns a condition selecting at least the documents whose
	// strings at path (or under it) contain word, a lowercase ASCII word,
	// ignoring ASCII case.
	Contains(path []string, word string, bind func(any) string) string
	// Token returns a condition selecting at least the documents whose
	// analyzed text at path holds the token word (with prefix: a token
	// starting with word), a lowercase ASCII word. A dialect with a
	// full-text index answers it from there; Contains always does.
	Token(path []string, word string, prefix bool, bind func(any) string) string
	// Present returns a condition selecting at least the documents with a
	// non-null value at path.
	Present(path []string) string
}

// Cond is one comparison of Dialect.Compare: Op is "=", "<", "<=", ">" or
// ">="; Value a string, a float64 or a bool.
type Cond struct {
	Op    string
	Value any
}

// Where translates n to a SQL condition on the documents, with its
// arguments. The condition never misses a document Matches accepts; when
// exact is false it may select others, and the caller must test each row
// with Matches. Nodes the database cannot evaluate become TRUE (every
// document) with exact false. Where assumes documents hold no key with a
// dot ({"a.b": 1}), which Matches reads as a nested field and SQL paths do
// not, and no JSON escape of an ASCII letter or digit inside strings.
// m is unused: ParseQuery resolved the fields against the mappings
// already; it stays so that a dialect needing them can be served.
func Where(n Node, d Dialect, m *mapping.Mappings) (clause string, args []any, exact bool) {
	w := &where{d: d}
	clause, exact = w.node(n)
	return clause, w.args, exact
}

type where struct {
	d    Dialect
	args []any
}

func (w *where) bind(v any) string {
	w.args = append(w.args, v)
	return placeholder
}

// placeholder is the argument marker: database/sql drivers of SQLite and
// the caller's rewriting for PostgreSQL ($n, NumberPlaceholders) both
// start from "?".
const placeholder = "?"

// NumberPlaceholders rewrites the "?" marks of Where's SQL with mark ($1,
// $2... for PostgreSQL), leaving alone the question marks inside quoted
// literals (a JSON path's filter); it returns where unchanged when mark
// gives "?". Values travel as arguments, and no dialect writes an
// operator with a question mark.
func NumberPlaceholders(where string, mark func(n int) string) string {
	if mark(1) == placeholder || !strings.Contains(where, placeholder) {
		return where
	}
	var b strings.Builder
	n, quote := 0, byte(0) // quote: the quote of the literal we are in
	for i := 0; i < len(where); i++ {
		switch c := where[i]; {
		case quote == 0 && (c == '\'' || c == '"'):
			quote = c
			b.WriteByte(c)
		case c == quote:
			quote = 0 // a doubled quote closes and opens again
			b.WriteByte(c)
		case c == '?' && quote == 0:
			n++
			b.WriteString(mark(n))
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

const (
	sqlTrue  = "TRUE"
	sqlFalse = "FALSE"
)

func (w *where) node(n Node) (string, bool) {
	switch t := n.(type) {
	case nil, MatchAll:
		return sqlTrue, true
	case MatchNone:
		return sqlFalse, true
	case *Bool:
		return w.boolean(t)
	case *IDs:
		return w.ids(t)
	case *Term:
		return w.term(t.Field, t.Values)
	case *Range:
		return w.rangeNode(t)
	case *Exists:
		if t.Field.Kind == KindUnindexed {
			return sqlFalse, true
		}
		return w.d.Present(t.Field.Path), false
	case *Prefix:
		return w.prefix(t.Field, t.Value)
	case *Pattern:
		if t.literal == "" {
			return sqlTrue, false
		}
		c, _ := w.prefix(t.Field, t.literal)
		return c, false
	case *Match:
		return w.match(t)
	}
	return sqlTrue, false // geo queries: tested in Go
}

func (w *where) ids(t *IDs) (string, bool) {
	if len(t.Values) == 0 {
		return sqlFalse, true
	}
	marks := make([]string, len(t.Values))
	for i, v := range t.Values {
		marks[i] = w.bind(v)
	}
	return w.d.ID() + " IN (" + strings.Join(marks, ", ") + ")", true
}

func (w *where) boolean(b *Bool) (string, bool) {
	if b.MinShould > len(b.Should) {
		return sqlFalse, true
	}
	var parts []string
	exact := true
	for _, c := range append(append([]Node{}, b.Must...), b.Filter...) {
		s, e := w.node(c)
		parts, exact = append(parts, s), exact && e
	}
	for _, c := range b.MustNot {
		mark := len(w.args)
		s, e := w.node(c)
		if !e {
			w.args = w.args[:mark] // dropped with its clause
			exact = false          // the complement of a superset is no superset
			continue
		}
		parts = append(parts, "("+s+") IS NOT TRUE")
	}
	if b.MinShould > 0 {
		var alts []string
		for _, c := range b.Should {
			s, e := w.node(c)
			alts, exact = append(alts, s), exact && e
		}
		exact = exact && b.MinShould == 1
		parts = append(parts, or(alts))
	}
	return and(parts), exact
}

func and(parts []string) string {
	switch len(parts) {
	case 0:
		return sqlTrue
	case 1:
		return parts[0]
	}
	return "(" + strings.Join(parts, ") AND (") + ")"
}

func or(parts []string) string {
	switch len(parts) {
	case 0:
		return sqlFalse
	case 1:
		return parts[0]
	}
	return "(" + strings.Join(parts, ") OR (") + ")"
}

// term selects the documents where the field may hold one of values.
func (w *where) term(f Field, values []any) (string, bool) {
	var alts []string
	exact := true
	for _, q := range values {
		for _, c := range w.equal(f, q) {
			s, e := c()
			alts, exact = append(alts, s), exact && e
		}
	}
	if len(alts) == 0 {
		return sqlFalse, true
	}
	return or(alts), exact
}

type cond func() (string, bool)

// equal lists the conditions under which a value of f equals q, one per
// JSON type the field may store it as (a keyword field indexes the number
// 5 as "5", a numeric field the string "5" as 5).
func (w *where) equal(f Field, q any) []cond {
	cmp := func(v any) cond {
		return func() (string, bool) { return w.d.Compare(f.Path, []Cond{{"=", v}}, w.bind) }
	}
	typed := func(typ string) cond { return func() (string, bool) { return w.d.Typed(f.Path, typ), false } }
	var out []cond
	switch f.Kind {
	case KindDynamicKeyword:
		// only strings reach the keyword sub-field of a dynamic field
		if s, _ := keywordOf(q); len(s) <= dynamicKeywordLimit {
			out = append(out, cmp(s))
		}
	case KindKeyword:
		s, _ := keywordOf(q)
		out = append(out, cmp(s))
		if n, ok := numberOf(s); ok {
			// the number n is indexed as formatScalar(n): exact when that is s
			c := cmp(n)
			out = append(out, func() (string, bool) { sql, e := c(); return sql, e && formatScalar(n) == s })
		}
		if b, ok := boolOf(s); ok {
			out = append(out, cmp(b))
		}
	case KindNumber, KindDate:
		n, ok := numberOf(q)
		if f.Kind == KindDate {
			ms, isDate := dateOf(q, "")
			n, ok = float64(ms), isDate
		}
		if ok {
			out = append(out, cmp(n), typed("string"))
		}
	case KindBool:
		if b, ok := boolOf(q); ok {
			out = append(out, cmp(b), cmp(formatScalar(b)))
		}
	case KindText:
		out = append(out, w.token(f, q))
	case KindDynamic:
		out = append(out, w.token(f, q))
		if n, ok := numberOf(q); ok {
			out = append(out, cmp(n))
		}
		if b, ok := boolOf(q); ok {
			out = append(out, cmp(b))
		}
	}
	return out
}

// token selects documents whose text may hold q as a token.
func (w *where) token(f Field, q any) cond {
	return func() (string, bool) {
		s, _ := keywordOf(q)
		switch {
		case s == "" || s != strings.ToLower(s) || len(analyze(s)) != 1 || analyze(s)[0] != s:
			return sqlFalse, true // no token can equal it
		case !asciiWord(s):
			return sqlTrue, false
		}
		return w.d.Token(f.Path, s, false, w.bind), false
	}
}

// asciiWord reports whether s is made of lowercase ASCII letters and
// digits only, what Contains can look for.
func asciiWord(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return false
		}
	}
	return s != ""
}
