package main

import (
	"database/sql"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

var (
	cities = []string{"Paris", "Lyon", "Nantes", "Lille", "Rennes", "Nice", "Brest", "Metz",
		"Dijon", "Tours", "Caen", "Rouen", "Reims", "Nancy", "Pau", "Albi", "Agen", "Arles",
		"Sète", "Vichy"}
	words = []string{"alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel",
		"india", "juliet", "kilo", "lima", "mike", "november", "oscar", "papa"}
)

// docID is the id of the i-th document of a run; prefix keeps runs apart.
func docID(prefix string, i int64) string {
	return prefix + strconv.FormatInt(i, 10)
}

// makeDoc returns a JSON document of about 300 bytes, derived from i.
func makeDoc(i int64) string {
	r := rand.New(rand.NewPCG(uint64(i), 7))
	b := make([]byte, 0, 320)
	b = append(b, `{"name":"user-`...)
	b = strconv.AppendInt(b, i, 10)
	b = append(b, `","age":`...)
	b = strconv.AppendInt(b, int64(18+r.IntN(70)), 10)
	b = append(b, `,"city":"`...)
	b = append(b, cities[i%int64(len(cities))]...)
	b = append(b, `","tags":["a","b"],"score":`...)
	b = strconv.AppendFloat(b, float64(r.IntN(1000))/100, 'f', 2, 64)
	b = append(b, `,"text":"`...)
	for len(b) < 290 {
		b = append(b, words[r.IntN(len(words))]...)
		b = append(b, ' ')
	}
	return string(append(b, `"}`...))
}

// insertReq is one document waiting for the writer, and where to report its commit.
type insertReq struct {
	table int
	id    string
	doc   string
	done  chan error
}

// writer owns one database's writing connection. It takes every request already queued, up
// to max, into one transaction, commits, then answers them: the group commit.
type writer struct {
	db      *sql.DB
	stmts   []*sql.Stmt
	max     int
	docs    atomic.Int64
	commits atomic.Int64
}

func newWriter(db *sql.DB, tables []string, max int) (*writer, error) {
	w := &writer{db: db, max: max}
	for _, t := range tables {
		s, err := db.Prepare("INSERT INTO " + t + "(id, version, doc) VALUES(?, 1, ?)")
		if err != nil {
			return nil, fmt.Errorf("prepare insert %s: %w", t, err)
		}
		w.stmts = append(w.stmts, s)
	}
	return w, nil
}

// run serves in until it is closed.
func (w *writer) run(in <-chan insertReq) {
	batch := make([]insertReq, 0, w.max)
	for r := range in {
		batch = append(batch[:0], r)
	fill:
		for len(batch) < w.max {
			select {
			case r, ok := <-in:
				if !ok {
					break fill
				}
				batch = append(batch, r)
			default:
				break fill
			}
		}
		err := w.commit(batch)
		for _, r := range batch {
			r.done <- err
		}
	}
}

// commit inserts batch in one transaction.
func (w *writer) commit(batch []insertReq) error {
	tx, err := w.db.Begin()
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	for _, r := range batch {
		if _, err := tx.Stmt(w.stmts[r.table]).Exec(r.id, r.doc); err != nil {
			tx.Rollback()
			return fmt.Errorf("insert %s: %w", r.id, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	w.docs.Add(int64(len(batch)))
	w.commits.Add(1)
	return nil
}

// batchLoop inserts documents from one goroutine, n per transaction, until deadline; it is
// the writer's best case (no channel, no waiting producers).
func batchLoop(w *writer, prefix string, n int, deadline time.Time) error {
	var i int64
	batch := make([]insertReq, n)
	for time.Now().Before(deadline) {
		for k := range batch {
			batch[k] = insertReq{id: docID(prefix, i), doc: makeDoc(i)}
			i++
		}
		if err := w.commit(batch); err != nil {
			return err
		}
	}
	return nil
}

// producers runs p goroutines that each send one document at a time to the writers' queues
// (producer k feeds queue k%len(queues), table k%tables) and wait for its commit, until
// deadline.
func producers(queues []chan insertReq, p, tables int, prefix string, deadline time.Time) error {
	var wg sync.WaitGroup
	errs := make(chan error, p)
	for k := range p {
		wg.Go(func() {
			q := queues[k%len(queues)]
			done := make(chan error, 1)
			for i := int64(0); time.Now().Before(deadline); i++ {
				id := int64(k)<<32 | i
				q <- insertReq{table: k % tables, id: docID(prefix, id), doc: makeDoc(id), done: done}
				if err := <-done; err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// runCreate measures group-committed inserts with FULL and NORMAL synchronous modes.
func runCreate(o options) error {
	fmt.Println("\n| create | sync | docs/s | commits/s | docs/commit |")
	fmt.Println("|---|---|---:|---:|---:|")
	for _, sync := range strings.Split(o.syncs, ",") {
		path := filepath.Join(o.dir, "create-"+sync+".db")
		db, err := openDB(o.driver, path, sync, 1)
		if err != nil {
			return err
		}
		if err := createCases(o, db, sync); err != nil {
			db.Close()
			return err
		}
		db.Close()
	}
	return nil
}

func createCases(o options, db *sql.DB, sync string) error {
	if err := schema(db, "docs"); err != nil {
		return err
	}
	for run, n := range []int{1, 64, 256, 0} {
		w, err := newWriter(db, []string{"docs"}, 256)
		if err != nil {
			return err
		}
		prefix := fmt.Sprintf("c%d-", run)
		start := time.Now()
		deadline := start.Add(o.dur)
		name := fmt.Sprintf("batch %d, 1 goroutine", n)
		if n > 0 {
			err = batchLoop(w, prefix, n, deadline)
		} else {
			name = "64 producers → writer (≤256)"
			q := make(chan insertReq, 64)
			go w.run(q)
			err = producers([]chan insertReq{q}, 64, 1, prefix, deadline)
			close(q)
		}
		if err != nil {
			return err
		}
		printCreate(name, sync, w, time.Since(start))
	}
	return nil
}

func printCreate(name, sync string, w *writer, d time.Duration) {
	docs, commits := w.docs.Load(), w.commits.Load()
	fmt.Printf("| %s | %s | %.0f | %.0f | %.1f |\n", name, sync,
		float64(docs)/d.Seconds(), float64(commits)/d.Seconds(), float64(docs)/float64(commits))
}

// runLayout compares one file holding four collections with one file per index, four
// writers in parallel, 64 producers in all, synchronous=FULL.
func runLayout(o options) error {
	fmt.Println("\n| layout (4 collections, 64 producers, FULL) | docs/s | commits/s | docs/commit |")
	fmt.Println("|---|---:|---:|---:|")
	tables := []string{"c0", "c1", "c2", "c3"}
	db, err := openDB(o.driver, filepath.Join(o.dir, "layout-one.db"), "FULL", 1)
	if err != nil {
		return err
	}
	defer db.Close()
	for _, t := range tables {
		if err := schema(db, t); err != nil {
			return err
		}
	}
	w, err := newWriter(db, tables, 256)
	if err != nil {
		return err
	}
	if err := layoutRun(o, []*writer{w}, len(tables), "one file, 1 writer"); err != nil {
		return err
	}
	var ws []*writer
	for i := range tables {
		db, err := openDB(o.driver, filepath.Join(o.dir, fmt.Sprintf("layout-%d.db", i)), "FULL", 1)
		if err != nil {
			return err
		}
		defer db.Close()
		if err := schema(db, "c0"); err != nil {
			return err
		}
		w, err := newWriter(db, []string{"c0"}, 256)
		if err != nil {
			return err
		}
		ws = append(ws, w)
	}
	return layoutRun(o, ws, 1, "one file per index, 4 writers")
}

func layoutRun(o options, ws []*writer, tables int, name string) error {
	queues := make([]chan insertReq, len(ws))
	for i, w := range ws {
		queues[i] = make(chan insertReq, 64)
		go w.run(queues[i])
	}
	start := time.Now()
	err := producers(queues, 64, tables, "l-", start.Add(o.dur))
	d := time.Since(start)
	for _, q := range queues {
		close(q)
	}
	if err != nil {
		return err
	}
	var docs, commits int64
	for _, w := range ws {
		docs += w.docs.Load()
		commits += w.commits.Load()
	}
	fmt.Printf("| %s | %.0f | %.0f | %.1f |\n", name, float64(docs)/d.Seconds(),
		float64(commits)/d.Seconds(), float64(docs)/float64(commits))
	return nil
}
