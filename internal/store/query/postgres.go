package query

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// PostgresDialect is the Dialect of PostgreSQL's JSONB on one column. Its
// conditions are built on one expression per path, column #> '{path}' (a
// jsonb value), and its JSON type: an index on both (IndexColumns) serves
// equalities, ranges and type tests alike, as each condition tests the
// type first. JSONB orders numbers numerically and strings by the
// database's collation (bytes under the C collation, which is
// Elasticsearch's keyword order).
//
// Compare looks into an array at its path in SQL; arrays on the way to
// the path (a dotted path through an array of objects) add their
// documents to the condition, which is then not exact, and the caller
// tests them in Go, as with SQLite. With WithArrays, the dialect knows the
// paths that never held an array, whose conditions need no array branch.
type PostgresDialect struct {
	column, id string
	// arrays reports whether a path may hold an array; nil: any may.
	arrays func(path []string) bool
}

// NewPostgresDialect returns the dialect of documents stored as JSONB in
// column, with their _id in idColumn.
func NewPostgresDialect(column, idColumn string) *PostgresDialect {
	return &PostgresDialect{column: column, id: idColumn}
}

// WithArrays returns a copy of p that consults arrays, which reports
// whether a path may hold an array (in some document).
func (p *PostgresDialect) WithArrays(arrays func(path []string) bool) *PostgresDialect {
	cp := *p
	cp.arrays = arrays
	return &cp
}

// ID implements Dialect.
func (p *PostgresDialect) ID() string { return p.id }

// pgPath writes a PostgreSQL text[] literal of path; ok is false for keys
// it does not quote (double quotes, backslashes, NUL).
func pgPath(path []string) (string, bool) {
	var b strings.Builder
	b.WriteString("'{")
	for i, k := range path {
		if strings.ContainsAny(k, "\"\\\x00") || !utf8.ValidString(k) {
			return "", false
		}
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"` + strings.ReplaceAll(k, "'", "''") + `"`)
	}
	b.WriteString("}'")
	return b.String(), true
}

// Expr is the JSONB value at path: the expression to index. It is NULL
// when path cannot be written (the caller then indexes nothing useful,
// and the conditions fall back to TRUE).
func (p *PostgresDialect) Expr(path []string) string {
	lit, ok := pgPath(path)
	if !ok {
		return "NULL::jsonb"
	}
	return "(" + p.column + " #> " + lit + ")"
}

// Value implements Dialect: JSON null orders as missing.
func (p *PostgresDialect) Value(path []string) string {
	return "NULLIF(" + p.Expr(path) + ", 'null'::jsonb)"
}

// mayHoldArray reports whether documents may hold an array at path.
func (p *PostgresDialect) mayHoldArray(path []string) bool {
	return p.arrays == nil || p.arrays(path)
}

// arrayAlternatives lists the conditions selecting the documents holding
// an array at path or on the way to it.
func (p *PostgresDialect) arrayAlternatives(path []string) []string {
	var out []string
	for i := 1; i <= len(path); i++ {
		if p.mayHoldArray(path[:i]) {
			out = append(out, p.typeIs(path[:i], "array"))
		}
	}
	return out
}

// typeIs is the test of the JSON type at path, the first column of the
// path's index.
func (p *PostgresDialect) typeIs(path []string, typ string) string {
	return "jsonb_typeof(" + p.Expr(path) + ") = '" + typ + "'"
}

// IndexColumns is the column list of path's index: its JSON type, then
// its value. Every condition of the dialect on path starts with a test
// of the type (an equality), so that the index serves equalities and
// ranges of one type, and type tests alone.
func (p *PostgresDialect) IndexColumns(path []string) string {
	return "jsonb_typeof(" + p.Expr(path) + "), " + p.Expr(path)
}

// withArrays ORs scalar with the documents holding arrays at path or on
// the way; exact is false when it did.
func (p *PostgresDialect) withArrays(path []string, scalar string) (string, bool) {
	alts := append([]string{scalar}, p.arrayAlternatives(path)...)
	if len(alts) == 1 {
		return scalar, true
	}
	return "(" + strings.Join(alts, ") OR (") + ")", false
}

// pgValue binds v as a jsonb value and names its JSON type; ok is false
// for strings PostgreSQL's text cannot hold (invalid UTF-8, NUL).
func pgValue(v any, bind func(any) string) (expr, typ string, ok bool) {
	switch t := v.(type) {
	case string:
		if !utf8.ValidString(t) || strings.IndexByte(t, 0) >= 0 {
			return "", "", false
		}
		return "to_jsonb(" + bind(t) + "::text)", "string", true
	case float64:
		return "to_jsonb(" + bind(t) + "::float8)", "number", true
	case bool:
		return "to_jsonb(" + bind(t) + "::boolean)", "boolean", true
	}
	return "", "", false
}

// Compare implements Dialect. Equalities compare JSONB values, which
// carry their type; ranges add a JSON type test. An array at path is
// looked into in SQL, as SQLite's dialect does (arrayMatch); only arrays
// on the way to path select their documents whole, for the caller to
// test. A bound PostgreSQL cannot bind (a string that is not UTF-8, as a
// prefix's upper bound) is left out, and the condition is not exact then.
func (p *PostgresDialect) Compare(path []string, conds []Cond, bind func(any) string) (string, bool) {
	if _, ok := pgPath(path); !ok || len(conds) == 0 {
		return sqlTrue, false
	}
	types := map[string]bool{}
	for _, c := range conds {
		if _, typ, ok := pgValue(c.Value, func(any) string { return "" }); ok {
			types[typ] = true
		}
	}
	if len(types) > 1 {
		return sqlFalse, true // no value is of two types
	}
	scalar, exact := compareValue(p.Expr(path), conds, bind)
	alts := []string{scalar}
	if p.mayHoldArray(path) {
		alts = append(alts, p.typeIs(path, "array")+arrayMatch(p.Expr(path), conds, bind))
	}
	var onTheWay []string
	for i := 1; i < len(path); i++ {
		if p.mayHoldArray(path[:i]) {
			onTheWay = append(onTheWay, p.typeIs(path[:i], "array"))
		}
	}
	alts = append(alts, onTheWay...)
	if len(alts) == 1 {
		return scalar, exact
	}
	return "(" + strings.Join(alts, ") OR (") + ")", exact && len(onTheWay) == 0
}

// compareValue is the test of the jsonb expression e against conds: its
// JSON type (the first column of the path's index), then each condition.
// exact is false when a bound could not be bound.
func compareValue(e string, conds []Cond, bind func(any) string) (string, bool) {
	exact := true
	var parts []string
	typ := ""
	for _, c := range conds {
		v, t, ok := pgValue(c.Value, bind)
		if !ok {
			exact = false
			continue
		}
		typ = t
		parts = append(parts, e+" "+c.Op+" "+v)
	}
	if typ == "" {
		return "jsonb_typeof(" + e + ") IN ('string', 'number', 'boolean', 'object')", exact
	}
	return strings.Join(append([]string{"jsonb_typeof(" + e + ") = '" + typ + "'"}, parts...), " AND "), exact
}

// Where an array at a path is looked into: its elements and those of the
// arrays nested in it, never members of objects inside it, one element
// satisfying every condition (as SQLite's dialect and Matches do). A JSON
// path query walks three levels of arrays in C; deeper arrays, rare, are
// walked by a recursive query, run only on the documents holding some.
const (
	// arrayLevel is an array's elements that are arrays.
	arrayLevel = `[*] ? (@.type() == "array")`
	// deeperArrays selects the arrays nested more than three levels deep.
	deeperArrays = `'strict $` + arrayLevel + arrayLevel + arrayLevel + `'`
)

// arrayMatch is the condition, appended to a test that e is an array,
// that an element of e satisfies every one of conds; "" (the array
// selected whole) when none can be bound.
func arrayMatch(e string, conds []Cond, bind func(any) string) string {
	var vars, tests []string
	for i, c := range conds {
		v, _, ok := pgValue(c.Value, bind)
		if !ok {
			continue
		}
		name := "v" + strconv.Itoa(i)
		op := c.Op
		if op == "=" {
			op = "=="
		}
		vars = append(vars, "'"+name+"', "+v)
		tests = append(tests, "@ "+op+" $"+name)
	}
	if len(tests) == 0 {
		return ""
	}
	test := "[*] ? (" + strings.Join(tests, " && ") + ")"
	levels := make([]string, 3)
	for i := range levels {
		levels[i] = "exists (@" + strings.Repeat(arrayLevel, i) + test + ")"
	}
	shallow := "jsonb_path_exists(" + e + ", 'strict $ ? (" + strings.Join(levels, " || ") + ")', jsonb_build_object(" +
		strings.Join(vars, ", ") + "))"
	elements, _ := compareValue("el.v", conds, bind)
	deep := "jsonb_path_exists(" + e + ", " + deeperArrays + ") AND EXISTS (WITH RECURSIVE el(v) AS (" +
		"SELECT value FROM jsonb_array_elements(" + e + ") UNION ALL SELECT x.value FROM el, " +
		"jsonb_array_elements(CASE WHEN jsonb_typeof(el.v) = 'array' THEN el.v END) AS x) SELECT 1 FROM el WHERE " + elements + ")"
	return " AND (" + shallow + " OR (" + deep + "))"
}

// Typed implements Dialect.
func (p *PostgresDialect) Typed(path []string, typ string) string {
	if _, ok := pgPath(path); !ok {
		return sqlTrue
	}
	c, _ := p.withArrays(path, p.typeIs(path, typ))
	return c
}

// Contains implements Dialect with a case-insensitive LIKE on the JSON
// text of the path's first key, which holds every string under the path.
func (p *PostgresDialect) Contains(path []string, word string, bind func(any) string) string {
	lit, ok := pgPath(path[:1])
	if !ok || !asciiWord(word) {
		return sqlTrue
	}
	return "(" + p.column + " #> " + lit + ")::text ILIKE " + bind("%"+word+"%")
}

// Token implements Dialect with Contains: without a full-text index, a
// token is looked for as a substring.
func (p *PostgresDialect) Token(path []string, word string, _ bool, bind func(any) string) string {
	return p.Contains(path, word, bind)
}

// Present implements Dialect.
func (p *PostgresDialect) Present(path []string) string {
	if _, ok := pgPath(path); !ok {
		return sqlTrue
	}
	c, _ := p.withArrays(path, "jsonb_typeof("+p.Expr(path)+") IN ('string', 'number', 'boolean', 'object')")
	return c
}
