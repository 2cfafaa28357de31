package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/starlingmq/starling/bench/internal/docs"
	"github.com/starlingmq/starling/bench/internal/pg"
)

// clusterDocPhases are the documents phases the cluster scenario runs, as
// indexes of documentsPhases: preload, create, search by term with the
// full window.
var clusterDocPhases = []int{0, 1, 3}

func clusterDocColumns() []Column {
	return []Column{
		{Key: "rate", Header: "ops/s", Chart: true},
		{Key: "p50", Header: "p50 µs", Lower: true},
		{Key: "p99", Header: "p99 µs", Lower: true, Chart: true},
		{Key: "cpu", Header: "Starling CPU µs/op", Lower: true},
		{Key: "dbcpu", Header: "PostgreSQL CPU µs/op", Lower: true},
		{Key: "total", Header: "total CPU µs/op", Lower: true, Chart: true},
		{Key: "rss", Header: "Starling peak RSS MiB", Lower: true},
		{Key: "errors", Header: "errors", Lower: true},
		{Key: "lost", Header: "lost", Lower: true},
	}
}

// clusterDocuments runs the documents phases on a Starling storing in a
// throw-away PostgreSQL cluster and on one storing in SQLite, interleaved
// run after run.
func (h *Harness) clusterDocuments(ctx context.Context, cfg ClusterConfig) *Report {
	dc := cfg.Documents
	rep := h.newReport("cluster-postgres", "documents: Starling storing in PostgreSQL vs in SQLite", clusterDocColumns())
	rep.Lead = pgServer
	if err := pg.Available(); err != nil {
		rep.Note("postgres skipped: %v", err)
		if h.Require {
			h.Log.Error("PostgreSQL missing with STARLING_REQUIRE_ALL=1", "err", err)
			rep.Add(Row{Case: "-", Server: pgServer, Note: "missing: " + err.Error(), Values: map[string]float64{}})
		}
		return rep
	}
	var cases []string
	for _, i := range clusterDocPhases {
		cases = append(cases, documentsCases(dc)[i])
	}
	servers := []string{pgServer, sqliteServer}
	runs := map[string]map[string][]Row{pgServer: {}, sqliteServer: {}}
	for range max(cfg.Repeat, 1) {
		for _, server := range servers {
			rows, err := h.documentsStore(ctx, dc, rep, server)
			for _, row := range phaseRows(rows, err, cases, server) {
				runs[server][row.Case] = append(runs[server][row.Case], row)
			}
			if err != nil {
				h.Log.Error("documents run failed", "server", server, "err", err)
			}
		}
	}
	for _, label := range cases {
		for _, server := range servers {
			rep.Add(medianRow(runs[server][label], "rate"))
		}
	}
	if cfg.Repeat > 1 {
		rep.Note("each row is the run with the median ops/s of %d runs", cfg.Repeat)
	}
	rep.Note("one Starling, %d MQTT connections; postgres: storage.engine postgres on a PostgreSQL cluster the harness starts (initdb, PostgreSQL's defaults: fsync and synchronous commits on), "+
		"its CPU the postmaster's and its children's (/proc); sqlite: storage in a fresh directory, the log flushed before each answer. "+
		"Documents of %d bytes, mapped fields city (keyword, %d values), age, name; searches: term on city, size 10.",
		dc.Conns, len(docs.AppendBody(nil, dc.Docs)), docs.Cities)
	rep.Note("total CPU µs/op: Starling's plus PostgreSQL's (SQLite runs inside Starling)")
	return rep
}

// documentsStore runs the phases on a Starling storing in server's
// engine: a PostgreSQL cluster started for the run, or SQLite.
func (h *Harness) documentsStore(ctx context.Context, dc DocumentsConfig, rep *Report, server string) ([]Row, error) {
	if server == sqliteServer {
		rows, err := h.documentsOn(ctx, dc, rep, docStorage{}, clusterDocPhases)
		for _, r := range rows {
			r.Values["total"] = r.Values["cpu"]
		}
		return rows, err
	}
	db, err := pg.Start(pg.Options{CPUs: h.Env.ServerCPU})
	if err != nil {
		return nil, fmt.Errorf("start PostgreSQL: %w", err)
	}
	defer func() {
		if err := db.Stop(); err != nil {
			h.Log.Warn("stop PostgreSQL", "err", err)
		}
	}()
	pid, err := db.PID()
	if err != nil {
		return nil, err
	}
	st := docStorage{env: []string{"kuzzle_storage__engine=postgres", "kuzzle_storage__postgres__url=" + db.URL()}, dbPID: pid}
	rows, err := h.documentsOn(ctx, dc, rep, st, clusterDocPhases)
	if err != nil {
		err = fmt.Errorf("%w\nPostgreSQL's log ends with:\n%s", err, lastLines(db.Log(), 10))
	}
	return rows, err
}

// lastLines returns the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
