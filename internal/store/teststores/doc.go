// Package teststores is for tests only: it opens the document stores of
// tests on every dialect, SQLite in a directory of the test and
// PostgreSQL in a new database of the test binary's throw-away cluster
// (internal/store/storetest), so that a test of code built on the store
// proves it on both. A test binary keeps one Dialects, whose cluster its
// TestMain starts once:
//
//	var stores teststores.Dialects
//
//	func TestMain(m *testing.M) { os.Exit(teststores.Main(m, &stores)) }
//
//	func TestRoles(t *testing.T) { stores.Run(t, testRoles) }
//
// Run runs the test once per dialect, in subtests named "sqlite" and
// "postgres"; the PostgreSQL one skips when PostgreSQL is not installed,
// and fails instead with STARLING_REQUIRE_ALL=1.
//
// No production code imports it. teststores imports
// internal/store/postgres, internal/store/sqlite, internal/store/sqlstore
// and internal/store/storetest only.
package teststores
