package query

import (
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
// Arrays are not looked into: a path that may hold an array (or hold one
// on the way) adds its documents to the condition, which is then not
// exact, and the caller tests them in Go. With WithArrays, the dialect
// knows the paths that never held an array, whose conditions are exact.
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
// carry their type; ranges add a JSON type test. A bound PostgreSQL
// cannot bind (a string that is not UTF-8, as a prefix's upper bound) is
// left out, and the condition is not exact then.
func (p *PostgresDialect) Compare(path []string, conds []Cond, bind func(any) string) (string, bool) {
	if _, ok := pgPath(path); !ok || len(conds) == 0 {
		return sqlTrue, false
	}
	e := p.Expr(path)
	exact := true
	var parts []string
	types := map[string]bool{}
	for _, c := range conds {
		v, typ, ok := pgValue(c.Value, bind)
		if !ok {
			exact = false
			continue
		}
		types[typ] = true
		parts = append(parts, e+" "+c.Op+" "+v)
	}
	if len(types) > 1 {
		return sqlFalse, true // no value is of two types
	}
	for typ := range types {
		parts = append([]string{p.typeIs(path, typ)}, parts...)
	}
	if len(parts) == 0 {
		parts = append(parts, p.Present(path))
	}
	cond, noArrays := p.withArrays(path, strings.Join(parts, " AND "))
	return cond, exact && noArrays
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
