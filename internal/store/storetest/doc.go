// Package storetest is for tests only: it starts throw-away PostgreSQL
// clusters (initdb and pg_ctl in a temporary directory, reached through a
// unix socket there) and holds the store test suite every dialect of
// internal/store/sqlstore must pass.
//
// No production code imports it. storetest imports internal/jsonx,
// internal/kerror, internal/store, internal/store/mapping,
// internal/store/query and internal/store/sqlstore only, besides pgx's
// database/sql driver; it must not import
// internal/store/sqlite or internal/store/postgres (their tests import
// storetest, not the other way round).
package storetest
