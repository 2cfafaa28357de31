// Package postgres is the PostgreSQL store: a database reached by a libpq
// URL through pgx's database/sql driver (github.com/jackc/pgx/v5/stdlib),
// served by internal/store/sqlstore with this package's Dialect.
//
// Each collection is a table of JSONB documents; mapped fields get
// expression indexes on doc #> '{path}', the expression the search SQL of
// query.PostgresDialect compares; collections with text fields get a GIN
// index of their strings' words. A commit is durable once PostgreSQL
// acknowledges it (with the server's synchronous_commit), so the engine
// needs no flush of its own.
//
// postgres imports internal/kerror, internal/store/query and
// internal/store/sqlstore only, besides pgx.
package postgres
