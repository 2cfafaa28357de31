package main

import (
	"database/sql"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"sync"
	"time"
)

// load fills docs with n documents, 10,000 per transaction, and says how long it took.
func load(db *sql.DB, n int) error {
	w, err := newWriter(db, []string{"docs"}, 10_000)
	if err != nil {
		return err
	}
	start := time.Now()
	batch := make([]insertReq, 0, 10_000)
	for i := range int64(n) {
		batch = append(batch, insertReq{id: docID("u", i), doc: makeDoc(i)})
		if len(batch) == cap(batch) || i == int64(n-1) {
			if err := w.commit(batch); err != nil {
				return err
			}
			batch = batch[:0]
		}
	}
	d := time.Since(start)
	fmt.Printf("\nload: %d documents in %s (%.0f docs/s, 10,000 per transaction, FULL)\n",
		n, round(d), float64(n)/d.Seconds())
	return nil
}

// runRead loads o.n documents then measures gets by id and searches by an indexed term.
func runRead(o options) error {
	path := filepath.Join(o.dir, "read.db")
	wdb, err := openDB(o.driver, path, "FULL", 1)
	if err != nil {
		return err
	}
	defer wdb.Close()
	if err := schema(wdb, "docs"); err != nil {
		return err
	}
	if err := load(wdb, o.n); err != nil {
		return err
	}
	rdb, err := openDB(o.driver, path, "FULL", 8)
	if err != nil {
		return err
	}
	defer rdb.Close()
	get, err := rdb.Prepare("SELECT version, doc FROM docs WHERE id = ?")
	if err != nil {
		return fmt.Errorf("prepare get: %w", err)
	}
	search, err := rdb.Prepare("SELECT id, doc FROM docs WHERE json_extract(doc,'$.city') = ? LIMIT 10")
	if err != nil {
		return fmt.Errorf("prepare search: %w", err)
	}
	fmt.Println("\n| read | readers | ops/s | p50 µs | p99 µs |")
	fmt.Println("|---|---:|---:|---:|---:|")
	for _, readers := range []int{1, 2, 8} {
		if err := timed(o, "get by id", readers, func(r *rand.Rand) error {
			return getOne(get, docID("u", r.Int64N(int64(o.n))))
		}); err != nil {
			return err
		}
	}
	for _, readers := range []int{1, 8} {
		if err := timed(o, "search city LIMIT 10", readers, func(r *rand.Rand) error {
			return searchOne(search, cities[r.IntN(len(cities))])
		}); err != nil {
			return err
		}
	}
	return nil
}

func getOne(get *sql.Stmt, id string) error {
	var version int64
	var doc string
	if err := get.QueryRow(id).Scan(&version, &doc); err != nil {
		return fmt.Errorf("get %s: %w", id, err)
	}
	return nil
}

func searchOne(search *sql.Stmt, city string) error {
	rows, err := search.Query(city)
	if err != nil {
		return fmt.Errorf("search %s: %w", city, err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var id, doc string
		if err := rows.Scan(&id, &doc); err != nil {
			return fmt.Errorf("search %s: %w", city, err)
		}
		n++
	}
	if n != 10 {
		return fmt.Errorf("search %s: %d rows, want 10", city, n)
	}
	return rows.Err()
}

// timed runs op from readers goroutines for o.dur and prints throughput and latencies.
func timed(o options, name string, readers int, op func(*rand.Rand) error) error {
	var mu sync.Mutex
	var all []time.Duration
	var first error
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(o.dur)
	for k := range readers {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(k), 1))
			lat := make([]time.Duration, 0, 1<<16)
			var err error
			for t := time.Now(); t.Before(deadline) && err == nil; {
				err = op(r)
				now := time.Now()
				lat = append(lat, now.Sub(t))
				t = now
			}
			mu.Lock()
			all = append(all, lat...)
			if first == nil {
				first = err
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	if first != nil {
		return first
	}
	d := time.Since(start)
	slices.Sort(all)
	fmt.Printf("| %s | %d | %.0f | %.1f | %.1f |\n", name, readers, float64(len(all))/d.Seconds(),
		us(all[len(all)/2]), us(all[len(all)*99/100]))
	return nil
}

func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
