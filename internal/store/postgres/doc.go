// Package postgres is the PostgreSQL store: a database reached by a libpq
// URL through pgx's database/sql driver (github.com/jackc/pgx/v5/stdlib),
// served by internal/store/sqlstore with this package's Dialect.
//
// Each collection is a table holding each document twice: in column src,
// the text the engine wrote, which every read returns (get, mGet, search
// hits, scrolls, the previous version a write reads), so that clients get
// the bytes the SQLite store returns; in column doc, as JSONB, which
// searches, field indexes and the full-text index read. JSONB alone would
// render documents with its keys shortest first and its numbers as
// numeric (1e21 as 1000000000000000000000). The second copy was measured
// on this package's benchmarks (600-byte documents, 10,000 of them):
// 919 → 1539 bytes per document on disk, 1158 → 1680 bytes of
// write-ahead log per create, creates, updates, gets and searches within
// the noise of the machine (two shared cores: ±40%); keeping the text alone and
// indexing src::jsonb expressions would save the disk but parse every
// document again in each search that scans. Mapped fields get expression
// indexes on doc #> '{path}', the expression the search SQL of
// query.PostgresDialect compares; collections with text fields get a GIN
// index of their strings' words. Searches look into arrays in SQL, as on
// SQLite (query.PostgresDialect: a JSON path query, or a recursive query
// for arrays nested more than three deep); Open turns JIT compilation off
// for the store's connections (unless the URL sets jit), since the
// planner's estimate of that recursive query would make PostgreSQL
// compile searches for longer than they run. A commit is durable once PostgreSQL
// acknowledges it (with the server's synchronous_commit), so the engine
// needs no flush of its own.
//
// Open migrates the tables of a database made before column src existed
// (migrate.go): under an advisory lock, so that one of several nodes
// opening the database does it, it adds the column and fills it with the
// engine's encoding of each JSONB document.
//
// postgres imports internal/jsonx, internal/kerror, internal/store/query
// and internal/store/sqlstore only, besides pgx.
package postgres
