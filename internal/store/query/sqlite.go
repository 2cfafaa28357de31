package query

import (
	"strconv"
	"strings"
)

// SQLiteDialect is the Dialect of SQLite's JSON functions on one column.
// Its conditions are built so that expression indexes on
// json_extract(column, '$.path') serve them: an equality or a range on
// the value, OR'ed with the range of JSON arrays' text ('[' to '\'), so
// both sides are index range scans; dotted paths add a test for arrays on
// the way (json_type), which an index on that expression serves too.
//
// With WithArrays, the dialect knows which paths of the collection ever
// held an array: conditions on the others are a plain comparison of the
// indexed value, which SQLite answers from the index alone.
type SQLiteDialect struct {
	column, id string
	// arrays reports whether a path may hold an array; nil: any may.
	arrays func(path []string) bool
}

// WithArrays returns a copy of s that consults arrays, which reports
// whether a path may hold an array (in some document), to leave out the
// array branches of the paths that never do.
func (s *SQLiteDialect) WithArrays(arrays func(path []string) bool) *SQLiteDialect {
	cp := *s
	cp.arrays = arrays
	return &cp
}

// mayHoldArray reports whether documents may hold an array at path.
func (s *SQLiteDialect) mayHoldArray(path []string) bool {
	return s.arrays == nil || s.arrays(path)
}

// NewSQLiteDialect returns the dialect of documents stored as JSON text in
// column, with their _id in idColumn.
func NewSQLiteDialect(column, idColumn string) *SQLiteDialect {
	return &SQLiteDialect{column: column, id: idColumn}
}

// ID implements Dialect.
func (s *SQLiteDialect) ID() string { return s.id }

// jsonPath writes a SQLite JSON path literal, quoting keys that need it;
// ok is false for keys SQLite's paths cannot name.
func jsonPath(path []string) (string, bool) {
	var b strings.Builder
	b.WriteString("'$")
	for _, k := range path {
		if strings.ContainsAny(k, `"\`) {
			return "", false
		}
		b.WriteString(`."`)
		b.WriteString(strings.ReplaceAll(k, "'", "''"))
		b.WriteString(`"`)
	}
	b.WriteString("'")
	return b.String(), true
}

// Expr is json_extract of path: the expression to index.
func (s *SQLiteDialect) Expr(path []string) string {
	p, ok := jsonPath(path)
	if !ok {
		return "NULL"
	}
	return "json_extract(" + s.column + ", " + p + ")"
}

// Value implements Dialect.
func (s *SQLiteDialect) Value(path []string) string { return s.Expr(path) }

// arraysOnTheWay lists the tests for arrays holding the path's parents.
func (s *SQLiteDialect) arraysOnTheWay(path []string) []string {
	var out []string
	for i := 1; i < len(path); i++ {
		if !s.mayHoldArray(path[:i]) {
			continue
		}
		p, _ := jsonPath(path[:i])
		out = append(out, "json_type("+s.column+", "+p+") = 'array'")
	}
	return out
}

// withArrays ORs a condition on the scalar at path with the documents
// holding an array there or on the way.
func (s *SQLiteDialect) withArrays(path []string, scalar string) string {
	e := s.Expr(path)
	alts := []string{scalar}
	if s.mayHoldArray(path) {
		alts = append(alts, e+" >= '[' AND "+e+" < '\\'")
	}
	alts = append(alts, s.arraysOnTheWay(path)...)
	if len(alts) == 1 {
		return scalar
	}
	return "(" + strings.Join(alts, ") OR (") + ")"
}

// Compare implements Dialect. A scalar is compared directly, and its JSON
// type checked (json_extract gives true and false as 1 and 0, and objects
// as text); an array (or a string starting with '[', both in the index
// range '[' to '\') through json_tree, on its elements and the elements
// of arrays nested in it, not on members of objects inside it. Dotted
// paths are not exact: arrays on the way are selected whole.
func (s *SQLiteDialect) Compare(path []string, conds []Cond, bind func(any) string) (string, bool) {
	p, ok := jsonPath(path)
	if !ok || len(conds) == 0 {
		return sqlTrue, false
	}
	e := s.Expr(path)
	types, exact := jsonTypes(conds)
	args := make([]any, len(conds))
	for i, c := range conds {
		args[i] = c.Value
		if b, ok := c.Value.(bool); ok {
			args[i] = 0
			if b {
				args[i] = 1
			}
		}
	}
	compare := func(expr, typ string) string {
		parts := make([]string, len(conds), len(conds)+1)
		for i, c := range conds {
			parts[i] = expr + " " + c.Op + " " + bind(args[i])
		}
		if types != "" && typ != "" {
			parts = append(parts, typ+" IN ("+types+")")
		}
		return strings.Join(parts, " AND ")
	}
	typ := "json_type(" + s.column + ", " + p + ")"
	if valueTyped(conds) {
		// json_extract gives strings as text, numbers as numbers, and
		// arrays and objects as their JSON text, which never equals a
		// string that does not start as one: the value is its own type
		// check, and the index answers alone.
		typ = ""
	}
	scalar := compare(e, typ)
	on := s.arraysOnTheWay(path)
	alts := []string{scalar}
	if s.mayHoldArray(path) {
		// json_tree names the root as the path was written: $."a"
		root := 1 + 3*len(path) + len(strings.Join(path, ""))
		alts = append(alts, e+" >= '[' AND "+e+" < '\\' AND EXISTS (SELECT 1 FROM json_tree("+s.column+", "+p+
			") AS t WHERE substr(t.fullkey, "+strconv.Itoa(root+1)+") NOT GLOB '*.*' AND "+compare("t.atom", "t.type")+")")
	}
	alts = append(alts, on...)
	if len(alts) == 1 {
		return scalar, exact && (len(path) == 1 || s.arrays != nil)
	}
	return "(" + strings.Join(alts, ") OR (") + ")", exact && (len(path) == 1 || s.arrays != nil && len(on) == 0)
}

// valueTyped reports whether comparing json_extract's value with conds
// needs no JSON type check: equalities with strings that do not start
// like JSON arrays or objects, and with numbers other than 0 and 1 (which
// json_extract also gives for false and true).
func valueTyped(conds []Cond) bool {
	for _, c := range conds {
		if c.Op != "=" {
			return false
		}
		switch v := c.Value.(type) {
		case string:
			if v != "" && (v[0] == '[' || v[0] == '{') {
				return false
			}
		case float64:
			if v == 0 || v == 1 {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// jsonTypes lists the JSON types (as json_type names them) of the
// conditions' values, "" with exact false when they mix types.
func jsonTypes(conds []Cond) (string, bool) {
	var types string
	for _, c := range conds {
		t := "'text'"
		switch v := c.Value.(type) {
		case float64:
			t = "'integer', 'real'"
		case bool:
			t = "'false'"
			if v {
				t = "'true'"
			}
			if c.Op != "=" {
				t = "'true', 'false'"
			}
		}
		if types != "" && types != t {
			return "", false
		}
		types = t
	}
	return types, true
}

// Typed implements Dialect: SQLite orders numbers (and booleans, 1 and 0)
// before text, so both are ranges of the indexed expression.
func (s *SQLiteDialect) Typed(path []string, typ string) string {
	if _, ok := jsonPath(path); !ok {
		return sqlTrue
	}
	e := s.Expr(path)
	switch typ {
	case "string":
		return s.withArrays(path, e+" >= ''")
	default:
		return s.withArrays(path, e+" < ''")
	}
}

// Contains implements Dialect with LIKE on the JSON text of the path's
// first key, which holds every string under the path, arrays included.
func (s *SQLiteDialect) Contains(path []string, word string, bind func(any) string) string {
	if _, ok := jsonPath(path[:1]); !ok || !asciiWord(word) {
		return sqlTrue
	}
	return s.Expr(path[:1]) + " LIKE " + bind("%"+word+"%")
}

// Token implements Dialect with Contains: without a full-text index, a
// token is looked for as a substring.
func (s *SQLiteDialect) Token(path []string, word string, _ bool, bind func(any) string) string {
	return s.Contains(path, word, bind)
}

// Present implements Dialect.
func (s *SQLiteDialect) Present(path []string) string {
	if _, ok := jsonPath(path); !ok {
		return sqlTrue
	}
	return s.withArrays(path, s.Expr(path)+" IS NOT NULL")
}
