package sqlite

import (
	"strings"

	"github.com/starlingmq/starling/internal/store/query"
	"github.com/starlingmq/starling/internal/store/sqlstore"
)

// Dialect writes SQLite's SQL. Documents are JSON text in column doc, their
// _id in column id; search clauses come from query's SQLite dialect, whose
// json_extract expressions the field indexes are built on.
type Dialect struct {
	*query.SQLiteDialect
}

// NewDialect returns the dialect of Starling's SQLite tables.
func NewDialect() Dialect { return Dialect{query.NewSQLiteDialect("doc", "id")} }

var _ sqlstore.Dialect = Dialect{}

// Name implements sqlstore.Dialect.
func (Dialect) Name() string { return "sqlite" }

// Catalogue implements sqlstore.Dialect.
func (Dialect) Catalogue() []string {
	return []string{
		`CREATE TABLE IF NOT EXISTS starling_indexes (name TEXT PRIMARY KEY) WITHOUT ROWID`,
		`CREATE TABLE IF NOT EXISTS starling_collections (
			idx TEXT NOT NULL, name TEXT NOT NULL, tbl TEXT NOT NULL UNIQUE,
			mappings TEXT NOT NULL, settings TEXT NOT NULL, arrays TEXT NOT NULL DEFAULT '[]',
			PRIMARY KEY (idx, name))`,
	}
}

// CreateTable implements sqlstore.Dialect.
func (Dialect) CreateTable(table string) []string {
	return []string{`CREATE TABLE ` + table + ` (id TEXT NOT NULL PRIMARY KEY, version INTEGER NOT NULL, doc BLOB NOT NULL)`}
}

// DropTable implements sqlstore.Dialect.
func (Dialect) DropTable(table string) []string {
	return []string{`DROP TABLE IF EXISTS ` + table + `_fts`, `DROP TABLE IF EXISTS ` + table}
}

// texts is the text a document gives its full-text index: every string
// in it, whatever its field (a superset of its text fields' words; the
// search post-filters).
func texts(doc string) string {
	return `(SELECT group_concat(value, ' ') FROM json_tree(` + doc + `) WHERE type = 'text')`
}

// CreateTextIndex implements sqlstore.Dialect with an FTS5 table without
// content (the documents hold it), maintained by triggers.
func (Dialect) CreateTextIndex(table string) []string {
	fts := table + `_fts`
	return []string{
		`CREATE VIRTUAL TABLE ` + fts + ` USING fts5(txt, content='', contentless_delete=1, tokenize='unicode61')`,
		`CREATE TRIGGER ` + fts + `_ai AFTER INSERT ON ` + table + ` BEGIN INSERT INTO ` + fts +
			`(rowid, txt) VALUES (new.rowid, ` + texts("new.doc") + `); END`,
		`CREATE TRIGGER ` + fts + `_ad AFTER DELETE ON ` + table + ` BEGIN DELETE FROM ` + fts + ` WHERE rowid = old.rowid; END`,
		`CREATE TRIGGER ` + fts + `_au AFTER UPDATE OF doc ON ` + table + ` BEGIN DELETE FROM ` + fts +
			` WHERE rowid = old.rowid; INSERT INTO ` + fts + `(rowid, txt) VALUES (new.rowid, ` + texts("new.doc") + `); END`,
		`INSERT INTO ` + fts + `(rowid, txt) SELECT rowid, ` + texts("doc") + ` FROM ` + table,
	}
}

// TextMatch implements sqlstore.Dialect.
func (Dialect) TextMatch(table, placeholder string) string {
	return `rowid IN (SELECT rowid FROM ` + table + `_fts WHERE ` + table + `_fts MATCH ` + placeholder + `)`
}

// TextQuery implements sqlstore.Dialect: words are lowercase ASCII
// letters and digits, quoted as FTS5 strings.
func (Dialect) TextQuery(word string, prefix bool) string {
	if prefix {
		return `"` + word + `" *`
	}
	return `"` + word + `"`
}

// CreateFieldIndex implements sqlstore.Dialect.
func (d Dialect) CreateFieldIndex(table, index string, path []string) string {
	return `CREATE INDEX IF NOT EXISTS ` + index + ` ON ` + table + ` (` + d.Expr(path) + `)`
}

// Insert implements sqlstore.Dialect.
func (Dialect) Insert(table string) string {
	return `INSERT INTO ` + table + ` (id, version, doc) VALUES (?, ?, jsonb(?)) ON CONFLICT (id) DO NOTHING`
}

// Upsert implements sqlstore.Dialect.
func (Dialect) Upsert(table string) string {
	return `INSERT INTO ` + table + ` (id, version, doc) VALUES (?, ?, jsonb(?)) ON CONFLICT (id) DO UPDATE SET version = excluded.version, doc = excluded.doc`
}

// Update implements sqlstore.Dialect.
func (Dialect) Update(table string) string {
	return `UPDATE ` + table + ` SET version = ?, doc = jsonb(?) WHERE id = ?`
}

// Delete implements sqlstore.Dialect.
func (Dialect) Delete(table string) string { return `DELETE FROM ` + table + ` WHERE id = ?` }

// Select implements sqlstore.Dialect.
func (Dialect) Select(table string) string {
	return `SELECT version, json(doc) FROM ` + table + ` WHERE id = ?`
}

// SelectIDs implements sqlstore.Dialect.
func (Dialect) SelectIDs(table string, n int) string {
	return `SELECT id, version, json(doc) FROM ` + table + ` WHERE id IN (?` + strings.Repeat(`,?`, n-1) + `)`
}

// Truncate implements sqlstore.Dialect.
func (Dialect) Truncate(table string) string { return `DELETE FROM ` + table }

// Document implements sqlstore.Dialect: documents are stored as SQLite's
// binary JSON, parsed once when written instead of once per expression
// index and search, and rendered back to text when read.
func (Dialect) Document() string { return "json(doc)" }

// ForArrays implements sqlstore.Dialect.
func (d Dialect) ForArrays(arrays func(path []string) bool) query.Dialect {
	return d.SQLiteDialect.WithArrays(arrays)
}

// InsertionOrder implements sqlstore.Dialect.
func (Dialect) InsertionOrder() string { return "rowid" }

// Placeholder implements sqlstore.Dialect.
func (Dialect) Placeholder(int) string { return "?" }

// TableSize implements sqlstore.Dialect: SQLite keeps no cheap per-table
// size without the dbstat extension, so the document bytes are summed.
func (Dialect) TableSize(table string) string {
	return `SELECT coalesce(sum(length(doc)), 0) FROM ` + table
}
