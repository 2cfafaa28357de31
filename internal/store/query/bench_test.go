package query

import (
	"math/rand"
	"testing"

	"github.com/starlingmq/starling/internal/jsonx"
)

var benchQuery = `{"bool":{"filter":[{"term":{"tag":"Red"}},{"range":{"n":{"gte":1,"lt":5}}}],
	"should":[{"match":{"title":"quick brown fox"}},{"prefix":{"address.city":"pa"}}],"must_not":{"exists":{"field":"active"}}}}`

func BenchmarkMatches(b *testing.B) {
	n, err := ParseQuery(jsonx.RawMessage(benchQuery), "", testMappings())
	if err != nil {
		b.Fatal(err)
	}
	g := gen{rand.New(rand.NewSource(3))}
	docs := make([]map[string]any, 256)
	for i := range docs {
		docs[i] = g.doc()
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		Matches(n, docs[i%len(docs)], "id")
	}
}

func BenchmarkWhere(b *testing.B) {
	m := testMappings()
	n, err := ParseQuery(jsonx.RawMessage(benchQuery), "", m)
	if err != nil {
		b.Fatal(err)
	}
	d := NewSQLiteDialect("doc", "id")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		Where(n, d, m)
	}
}

func BenchmarkParseQuery(b *testing.B) {
	m := testMappings()
	raw := jsonx.RawMessage(benchQuery)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := ParseQuery(raw, "", m); err != nil {
			b.Fatal(err)
		}
	}
}
