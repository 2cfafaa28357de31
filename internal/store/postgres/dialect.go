package postgres

import (
	"strconv"
	"strings"

	"github.com/starlingmq/starling/internal/kerror"

	"github.com/starlingmq/starling/internal/store/query"
	"github.com/starlingmq/starling/internal/store/sqlstore"
)

// Dialect writes PostgreSQL's SQL. A document is kept twice: its text as
// written in column src, which every read returns (JSONB would give its
// keys shortest first, and its numbers as numeric), and as JSONB in column
// doc, which searches and indexes read. Its _id is in column id, and
// column seq (an identity) numbers documents in the order they were first
// written; search clauses come from query's PostgreSQL dialect, whose
// doc #> '{path}' expressions the field indexes are built on.
type Dialect struct {
	*query.PostgresDialect
}

// NewDialect returns the dialect of Starling's PostgreSQL tables.
func NewDialect() Dialect { return Dialect{query.NewPostgresDialect("doc", "id")} }

var _ sqlstore.Dialect = Dialect{}

// Name implements sqlstore.Dialect.
func (Dialect) Name() string { return "postgres" }

// Catalogue implements sqlstore.Dialect.
func (Dialect) Catalogue() []string {
	return []string{
		`CREATE TABLE IF NOT EXISTS starling_indexes (name TEXT PRIMARY KEY)`,
		`CREATE TABLE IF NOT EXISTS starling_collections (
			idx TEXT NOT NULL, name TEXT NOT NULL, tbl TEXT NOT NULL UNIQUE,
			mappings TEXT NOT NULL, settings TEXT NOT NULL, arrays TEXT NOT NULL DEFAULT '[]',
			PRIMARY KEY (idx, name))`,
	}
}

// CreateTable implements sqlstore.Dialect.
func (Dialect) CreateTable(table string) []string {
	return []string{`CREATE TABLE ` + table + ` (seq BIGINT GENERATED ALWAYS AS IDENTITY, ` +
		`id TEXT NOT NULL PRIMARY KEY, version BIGINT NOT NULL, doc JSONB NOT NULL, src TEXT NOT NULL)`,
		`CREATE INDEX ` + table + `_seq ON ` + table + ` (seq)`}
}

// DropTable implements sqlstore.Dialect: the full-text index goes with
// the table.
func (Dialect) DropTable(table string) []string {
	return []string{`DROP TABLE IF EXISTS ` + table}
}

// texts is the tsvector of a document's strings, whatever their field (a
// superset of its text fields' words; the search post-filters). The JSON
// text of the strings is cut at everything but letters and digits, escapes
// included, before PostgreSQL's parser sees it: its parser keeps
// "a.b" or "x@y.z" as one token, where Starling's analyzer, like
// Elasticsearch's standard one, sees two or three.
func texts(doc string) string {
	return `to_tsvector('simple'::regconfig, regexp_replace(regexp_replace(` +
		`jsonb_path_query_array(` + doc + `, 'strict $.** ? (@.type() == "string")')::text, ` +
		`'\\(u[0-9a-fA-F]{4}|.)', ' ', 'g'), '[^[:alnum:]]+', ' ', 'g'))`
}

// CreateTextIndex implements sqlstore.Dialect with a GIN index on the
// tsvector expression, which PostgreSQL fills and keeps up to date.
func (Dialect) CreateTextIndex(table string) []string {
	return []string{`CREATE INDEX IF NOT EXISTS ` + table + `_fts ON ` + table + ` USING GIN ((` + texts("doc") + `))`}
}

// TextMatch implements sqlstore.Dialect.
func (Dialect) TextMatch(_, placeholder string) string {
	return `(` + texts("doc") + `) @@ ` + placeholder + `::tsquery`
}

// TextQuery implements sqlstore.Dialect: words are lowercase ASCII
// letters and digits, quoted as tsquery lexemes.
func (Dialect) TextQuery(word string, prefix bool) string {
	if prefix {
		return `'` + word + `':*`
	}
	return `'` + word + `'`
}

// CreateFieldIndex implements sqlstore.Dialect: the index is on the JSON
// type and value at path, which every search condition on path tests.
func (d Dialect) CreateFieldIndex(table, index string, path []string) string {
	return `CREATE INDEX IF NOT EXISTS ` + index + ` ON ` + table + ` (` + d.IndexColumns(path) + `)`
}

// Insert implements sqlstore.Dialect: the one argument of the document
// fills both columns.
func (Dialect) Insert(table string) string {
	return `INSERT INTO ` + table + ` (id, version, src, doc) VALUES ($1, $2, $3::text, $3::text::jsonb) ON CONFLICT (id) DO NOTHING`
}

// Upsert implements sqlstore.Dialect: a replaced document keeps its place
// in the insertion order.
func (Dialect) Upsert(table string) string {
	return `INSERT INTO ` + table + ` (id, version, src, doc) VALUES ($1, $2, $3::text, $3::text::jsonb) ` +
		`ON CONFLICT (id) DO UPDATE SET version = excluded.version, src = excluded.src, doc = excluded.doc`
}

// Update implements sqlstore.Dialect.
func (Dialect) Update(table string) string {
	return `UPDATE ` + table + ` SET version = $1, src = $2::text, doc = $2::text::jsonb WHERE id = $3`
}

// Delete implements sqlstore.Dialect.
func (Dialect) Delete(table string) string { return `DELETE FROM ` + table + ` WHERE id = $1` }

// Select implements sqlstore.Dialect.
func (Dialect) Select(table string) string {
	return `SELECT version, src FROM ` + table + ` WHERE id = $1`
}

// SelectIDs implements sqlstore.Dialect.
func (Dialect) SelectIDs(table string, n int) string {
	marks := make([]string, n)
	for i := range marks {
		marks[i] = "$" + strconv.Itoa(i+1)
	}
	return `SELECT id, version, src FROM ` + table + ` WHERE id IN (` + strings.Join(marks, ",") + `)`
}

// Truncate implements sqlstore.Dialect.
func (Dialect) Truncate(table string) string { return `DELETE FROM ` + table }

// Document implements sqlstore.Dialect: the text as written.
func (Dialect) Document() string { return "src" }

// ForArrays implements sqlstore.Dialect.
func (d Dialect) ForArrays(arrays func(path []string) bool) query.Dialect {
	return d.PostgresDialect.WithArrays(arrays)
}

// InsertionOrder implements sqlstore.Dialect.
func (Dialect) InsertionOrder() string { return "seq" }

// Placeholder implements sqlstore.Dialect.
func (Dialect) Placeholder(n int) string { return "$" + strconv.Itoa(n) }

// TableSize implements sqlstore.Dialect: the table with its indexes and
// TOAST data.
func (Dialect) TableSize(table string) string {
	return `SELECT pg_total_relation_size('` + table + `')`
}

var _ sqlstore.DocumentChecker = Dialect{}

// CheckDocument implements sqlstore.DocumentChecker: PostgreSQL's text
// and JSONB cannot hold the character U+0000.
func (Dialect) CheckDocument(id string, src []byte) error {
	if strings.IndexByte(id, 0) >= 0 || hasNulEscape(src) {
		return kerror.New("services.storage.unexpected_bad_request",
			"the document store (PostgreSQL) cannot hold the character U+0000, in _id or in a string of the document")
	}
	return nil
}

// hasNulEscape reports whether JSON text holds the escape of U+0000 (a
// raw NUL byte is not valid JSON).
func hasNulEscape(src []byte) bool {
	for i := 0; i+1 < len(src); i++ {
		if src[i] != '\\' {
			continue
		}
		if src[i+1] == 'u' && i+6 <= len(src) && string(src[i+2:i+6]) == "0000" {
			return true
		}
		i++ // skip the escaped character, a backslash included
	}
	return false
}
