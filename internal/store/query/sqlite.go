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
type SQLiteDialect struct {
	column, id string
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
		p, _ := jsonPath(path[:i])
		out = append(out, "json_type("+s.column+", "+p+") = 'array'")
	}
	return out
}

// withArrays ORs a condition on the scalar at path with the documents
// holding an array there or on the way.
func (s *SQLiteDialect) withArrays(path []string, scalar string) string {
	e := s.Expr(path)
	alts := append([]string{scalar, e + " >= '[' AND " + e + " < '\\'"}, s.arraysOnTheWay(path)...)
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
		if types != "" {
			parts = append(parts, typ+" IN ("+types+")")
		}
		return strings.Join(parts, " AND ")
	}
	scalar := compare(e, "json_type("+s.column+", "+p+")")
	// json_tree names the root as the path was written: $."a"
	root := 1 + 3*len(path) + len(strings.Join(path, ""))
	elements := e + " >= '[' AND " + e + " < '\\' AND EXISTS (SELECT 1 FROM json_tree(" + s.column + ", " + p +
		") AS t WHERE substr(t.fullkey, " + strconv.Itoa(root+1) + ") NOT GLOB '*.*' AND " + compare("t.atom", "t.type") + ")"
	alts := append([]string{scalar, elements}, s.arraysOnTheWay(path)...)
	return "(" + strings.Join(alts, ") OR (") + ")", exact && len(path) == 1
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
