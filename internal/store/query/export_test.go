package query

import "testing"

// CheckWhereNeverMisses exports checkWhereNeverMisses to the tests of
// other databases (postgres_test.go).
func CheckWhereNeverMisses(t *testing.T, seed int64, dialect func(arrays func([]string) bool) Dialect,
	load func(t *testing.T, docs []map[string]any) func(where string, args []any) []string) {
	checkWhereNeverMisses(t, seed, dialect, load)
}
