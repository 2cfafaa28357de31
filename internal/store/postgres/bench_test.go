package postgres_test

import (
	"context"
	"database/sql"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/starlingmq/starling/internal/store"
	"github.com/starlingmq/starling/internal/store/mapping"
	"github.com/starlingmq/starling/internal/store/query"
	"github.com/starlingmq/starling/internal/store/sqlstore"
	"github.com/starlingmq/starling/internal/store/storetest"
)

// benchDoc is a document of the benchmarks: a few mapped fields, an
// array, nested objects and some text, about 600 bytes.
func benchDoc(i int64) []byte {
	return fmt.Appendf(nil, `{"name":"user-%d","age":%d,"city":"city-%d","tags":["a","b","c"],"score":3.14,`+
		`"address":{"street":"%d Long Street Name","zip":"%05d","country":"Somewhere"},`+
		`"bio":"a biography of some length, so that the document is not tiny: user %d writes here",`+
		`"prefs":{"lang":"en","theme":"dark","notify":{"mail":true,"push":false,"sms":false}},`+
		`"history":[{"at":1700000000000,"what":"login"},{"at":1700000100000,"what":"logout"}]}`,
		i, i%90, i%1000, i, i%100000, i)
}

// benchStore opens a store in a new database with collection i:c mapped.
func benchStore(b *testing.B) *sqlstore.Engine {
	b.Helper()
	e, _ := benchStoreAt(b)
	return e
}

// benchStoreAt is benchStore, with the URL of the database.
func benchStoreAt(b *testing.B) (*sqlstore.Engine, string) {
	b.Helper()
	url := storetestDatabase(b)
	e := open(b, url)
	m, err := mapping.Parse([]byte(`{"properties":{"city":{"type":"keyword"},"age":{"type":"integer"}}}`))
	if err != nil {
		b.Fatal(err)
	}
	if err := e.CreateCollection(context.Background(), "i", "c", m, nil); err != nil {
		b.Fatal(err)
	}
	return e, url
}

// walPosition returns the server's write-ahead log position, in bytes.
func walPosition(b *testing.B, db *sql.DB) int64 {
	b.Helper()
	var pos int64
	if err := db.QueryRow(`SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint`).Scan(&pos); err != nil {
		b.Fatal(err)
	}
	return pos
}

// seed writes n documents d0... into i:c.
func seed(b *testing.B, e *sqlstore.Engine, n int) {
	b.Helper()
	for start := 0; start < n; start += 500 {
		ops := make([]store.Op, min(500, n-start))
		for i := range ops {
			ops[i] = store.Op{Kind: store.OpCreate, ID: fmt.Sprintf("d%d", start+i), Body: benchDoc(int64(start + i))}
		}
		if _, err := e.Write(context.Background(), "i", "c", ops); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCreate writes one document per call from 64 goroutines, as
// document:create requests do, and reports the write-ahead log each
// create adds.
func BenchmarkCreate(b *testing.B) {
	ctx := context.Background()
	e, url := benchStoreAt(b)
	defer e.Close()
	db, err := sql.Open("pgx", url)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	wal := walPosition(b, db)
	var n atomic.Int64
	b.SetParallelism(32)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			res, err := e.Write(ctx, "i", "c", []store.Op{{Kind: store.OpCreate, Body: benchDoc(n.Add(1)), User: "-1"}})
			if err != nil || res[0].Err != nil {
				b.Errorf("create: %v %v", err, res)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(walPosition(b, db)-wal)/float64(b.N), "wal-bytes/op")
}

// BenchmarkUpdate updates one document per call from 64 goroutines, out
// of 10,000: a read, a merge and a write.
func BenchmarkUpdate(b *testing.B) {
	ctx := context.Background()
	e := benchStore(b)
	defer e.Close()
	const n = 10000
	seed(b, e, n)
	var i atomic.Int64
	b.SetParallelism(32)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			k := i.Add(7919)
			res, err := e.Write(ctx, "i", "c", []store.Op{{Kind: store.OpUpdate, ID: fmt.Sprintf("d%d", k%n),
				Body: fmt.Appendf(nil, `{"age":%d}`, k%90), User: "-1"}})
			if err != nil || res[0].Err != nil {
				b.Errorf("update: %v %v", err, res)
				return
			}
		}
	})
}

// BenchmarkGet reads one document by id from 64 goroutines, out of
// 10,000.
func BenchmarkGet(b *testing.B) {
	ctx := context.Background()
	e := benchStore(b)
	defer e.Close()
	const n = 10000
	seed(b, e, n)
	stats, err := e.Stats(ctx)
	if err != nil {
		b.Fatal(err)
	}
	var i atomic.Int64
	b.SetParallelism(32)
	b.ReportAllocs()
	b.ResetTimer()
	b.ReportMetric(float64(stats.Size)/n, "disk-bytes/doc")
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			id := fmt.Sprintf("d%d", i.Add(7919)%n)
			docs, err := e.Get(ctx, "i", "c", []string{id})
			if err != nil || !docs[0].Found {
				b.Errorf("get %s: %v", id, err)
				return
			}
		}
	})
}

// BenchmarkSearch searches a keyword from 64 goroutines, each search
// returning 10 of 10,000 documents.
func BenchmarkSearch(b *testing.B) {
	ctx := context.Background()
	e := benchStore(b)
	defer e.Close()
	const n = 10000
	seed(b, e, n)
	m, err := e.Mapping(ctx, "i", "c")
	if err != nil {
		b.Fatal(err)
	}
	var i atomic.Int64
	b.SetParallelism(32)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			body := fmt.Appendf(nil, `{"query":{"term":{"city":"city-%d"}}}`, i.Add(1)%1000)
			s, err := query.ParseSearch(body, "elasticsearch", m)
			if err != nil {
				b.Error(err)
				return
			}
			res, err := e.Search(ctx, "i", "c", s)
			if err != nil || len(res.Hits) != 10 {
				b.Errorf("search: %v %v", err, res)
				return
			}
		}
	})
}

// storetestDatabase is a new database of the binary's cluster.
func storetestDatabase(b *testing.B) string { return storetest.Database(b, pg) }
