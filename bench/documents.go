package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/starlingmq/starling/bench/internal/docs"
	"github.com/starlingmq/starling/bench/internal/mqttc"
)

// DocumentsConfig is the document store scenario: a preload of Docs
// documents, then document:create, document:get and document:search by an
// indexed term, each for Duration with Conns×Window requests in flight;
// the same workload through the store alone (bench/docstore) is the
// ceiling.
type DocumentsConfig struct {
	Docs     int
	Duration time.Duration
	Conns    int // connections of the create, get and search phases
	Window   int // requests in flight per connection
	// PreloadConns×PreloadWindow batches are in flight during the preload.
	PreloadConns, PreloadWindow int
	// FewWindow is the requests in flight of the second search phase, on
	// one connection: its latency when the server is not saturated.
	FewWindow int
	// Repeat runs everything this many times and keeps the median runs.
	Repeat int
}

// driverServer names the rows of the store alone.
const driverServer = "driver"

// The goals of the document store on a 2-core machine.
const (
	goalCreateRate  = 20_000
	goalCreateRatio = 0.5
	goalGetRate     = 50_000
	goalSearchP99   = 5_000 // µs
)

func documentsColumns() []Column {
	return []Column{
		{Key: "rate", Header: "ops/s", Chart: true},
		{Key: "p50", Header: "p50 µs", Lower: true},
		{Key: "p99", Header: "p99 µs", Lower: true, Chart: true},
		{Key: "p999", Header: "p99.9 µs", Lower: true},
		{Key: "cpu", Header: "CPU µs/op", Lower: true, Chart: true},
		{Key: "rss", Header: "peak RSS MiB", Lower: true},
		{Key: "errors", Header: "errors", Lower: true},
		{Key: "lost", Header: "lost", Lower: true},
		{Key: "lg", Header: "loadgen CPU %", Lower: true},
	}
}

// The scenario's cases, in the order they run.
func documentsCases(cfg DocumentsConfig) []string {
	inFlight := cfg.Conns * cfg.Window
	return []string{
		fmt.Sprintf("preload %s docs (batches of %d, %d in flight)", group(int64(cfg.Docs)), docs.BatchSize, cfg.PreloadConns*cfg.PreloadWindow),
		fmt.Sprintf("create (%d in flight)", inFlight),
		fmt.Sprintf("get by id (%d in flight)", inFlight),
		fmt.Sprintf("search by term, size 10 (%d in flight)", inFlight),
		fmt.Sprintf("search by term, size 10 (%d in flight)", cfg.FewWindow),
	}
}

// Documents runs the document store scenario on Starling and on the store
// alone, interleaved run after run.
func (h *Harness) Documents(ctx context.Context, cfg DocumentsConfig) *Report {
	rep := h.newReport("documents", "document store: Starling over MQTT vs the store alone (driver) in one process", documentsColumns())
	cases := documentsCases(cfg)
	runs := map[string]map[string][]Row{Starling: {}, driverServer: {}}
	for range max(cfg.Repeat, 1) {
		for _, server := range []string{Starling, driverServer} {
			run := h.documentsStarling
			if server == driverServer {
				run = h.documentsDriver
			}
			rows, err := run(ctx, cfg, rep)
			for _, row := range phaseRows(rows, err, cases, server) {
				runs[server][row.Case] = append(runs[server][row.Case], row)
			}
			if err != nil {
				h.Log.Error("documents run failed", "server", server, "err", err)
			}
		}
	}
	for _, label := range cases {
		for _, server := range []string{Starling, driverServer} {
			rep.Add(medianRow(runs[server][label], "rate"))
		}
	}
	if cfg.Repeat > 1 {
		rep.Note("each row is the run with the median ops/s of %d runs", cfg.Repeat)
	}
	documentsGoals(rep, cases)
	rep.Note("Starling: %d MQTT connections, storage in a fresh directory (SQLite, the log flushed before each answer, group commit); preload by document:mCreate batches, %d in flight; "+
		"driver: bench/docstore, the same store package and documents called from goroutines of one process, on the servers' CPU; its CPU includes its callers. "+
		"Documents of %d bytes, mapped fields city (keyword, %d values), age, name; searches: term on city, size 10.",
		cfg.Conns, cfg.PreloadConns*cfg.PreloadWindow, len(docs.AppendBody(nil, cfg.Docs)), docs.Cities)
	return rep
}

// phaseRows labels the rows of one run with their cases and server, one
// row per case: the error of a run that failed goes to its last row, and
// the cases after it are "not run".
func phaseRows(rows []Row, err error, cases []string, server string) []Row {
	out := make([]Row, len(cases))
	for i, label := range cases {
		row := Row{Values: map[string]float64{}}
		if i < len(rows) {
			row = rows[i]
		}
		switch last := max(len(rows)-1, 0); {
		case err != nil && i == last && row.Note == "":
			row.Note = err.Error()
		case err != nil && i > last:
			row.Note = "not run"
		}
		row.Case, row.Server = label, server
		out[i] = row
	}
	return out
}

// documentsGoals notes each goal with the figure it is about.
func documentsGoals(rep *Report, cases []string) {
	get := func(label, server, key string) float64 {
		for _, r := range rep.Rows {
			if r.Case == label && r.Server == server && r.Note == "" {
				return r.Values[key]
			}
		}
		return 0
	}
	verdict := func(ok bool) string {
		if ok {
			return "met"
		}
		return "NOT met"
	}
	create, createDriver := get(cases[1], Starling, "rate"), get(cases[1], driverServer, "rate")
	ratio := create / max(createDriver, 1)
	getRate, searchP99, fewP99 := get(cases[2], Starling, "rate"), get(cases[3], Starling, "p99"), get(cases[4], Starling, "p99")
	rep.Note("goal create ≥ %s/s: %s/s, %s", group(goalCreateRate), group(int64(create)), verdict(create >= goalCreateRate))
	rep.Note("goal create ≥ %.0f %% of the store alone: %.0f %%, %s", 100*goalCreateRatio, 100*ratio, verdict(ratio >= goalCreateRatio))
	rep.Note("goal get ≥ %s/s: %s/s, %s", group(goalGetRate), group(int64(getRate)), verdict(getRate >= goalGetRate))
	rep.Note("goal search by term p99 ≤ %d ms: %.2f ms, %s (%.2f ms with %s)", goalSearchP99/1000, searchP99/1000,
		verdict(searchP99 > 0 && searchP99 <= goalSearchP99), fewP99/1000, strings.TrimSuffix(strings.TrimPrefix(cases[4], "search by term, size 10 ("), ")"))
}

// docStorage is where a Starling of the documents phases keeps its
// documents.
type docStorage struct {
	// env is kuzzle_storage__* settings besides storage.path (a fresh
	// directory): none for SQLite there.
	env []string
	// dbPID is the process of a database server outside Starling, whose
	// CPU (its own and its children's) each phase measures; 0 for none.
	dbPID int
}

// documentsStarling runs the phases on a Starling with fresh SQLite
// storage and returns one row per case, as far as it got.
func (h *Harness) documentsStarling(ctx context.Context, cfg DocumentsConfig, rep *Report) ([]Row, error) {
	return h.documentsOn(ctx, cfg, rep, docStorage{}, nil)
}

// documentsOn runs the phases of documentsPhases whose indexes pick lists
// (nil: all) on a Starling with storage st, and returns one row per phase
// run, as far as it got.
func (h *Harness) documentsOn(ctx context.Context, cfg DocumentsConfig, rep *Report, st docStorage, pick []int) ([]Row, error) {
	dir, err := os.MkdirTemp(h.Env.Dir, "documents-")
	if err != nil {
		return nil, fmt.Errorf("storage directory: %w", err)
	}
	defer os.RemoveAll(dir)
	srv, err := h.Env.Start(ctx, Starling, append([]string{"kuzzle_storage__path=" + filepath.Join(dir, "store")}, st.env...)...)
	if err != nil {
		return nil, err
	}
	defer srv.Stop()
	conns := make([]*mqttc.Conn, max(cfg.Conns, cfg.PreloadConns))
	for i := range conns {
		if conns[i], err = mqttc.Dial(srv.Addr, mqttc.Options{ClientID: "bench-documents-" + strconv.Itoa(i), ReadBuffer: 256 << 10}); err != nil {
			return nil, err
		}
		defer conns[i].Close()
	}
	if err := createCollection(conns[0]); err != nil {
		return nil, err
	}
	phases, viaMCreate := documentsPhases(conns[0], cfg)
	if note := "Starling has no document:mCreate: its preload ran document:create with ids instead"; !viaMCreate && !slices.Contains(rep.Notes, note) {
		rep.Note("%s", note)
	}
	var rows []Row
	for i, ph := range phases {
		if pick != nil && !slices.Contains(pick, i) {
			continue
		}
		row, err := h.documentsPhase(ctx, srv, st.dbPID, conns[:ph.conns], ph.docPhase)
		rows = append(rows, row)
		if err != nil {
			return rows, err
		}
	}
	return rows, nil
}

// documentsPhase runs one phase and measures the server's CPU over it,
// and that of the database server dbPID and its children when not 0
// ("dbcpu", and "total" for both).
func (h *Harness) documentsPhase(ctx context.Context, srv *Server, dbPID int, conns []*mqttc.Conn, ph docPhase) (Row, error) {
	row := Row{Values: map[string]float64{}}
	m, err := startMeter(srv.PID)
	if err != nil {
		return row, err
	}
	db, err := startFamilyMeter(dbPID)
	if err != nil {
		return row, err
	}
	load, err := runDocPhase(ctx, conns, ph)
	if merr := m.end(); err == nil {
		err = merr
	}
	dbCPU, derr := db.since()
	if err == nil {
		err = derr
	}
	units := float64(max(ph.Units, 1))
	done := units * float64(load.got.Load()-load.failed.Load())
	row.Values["rate"] = done / max(load.last.Sub(load.first).Seconds(), 1e-3)
	latencies(row.Values, &load.lat)
	row.Values["cpu"] = micros(m.serverCPU) / max(done, 1)
	if dbPID != 0 {
		row.Values["dbcpu"] = micros(dbCPU) / max(done, 1)
		row.Values["total"] = row.Values["cpu"] + row.Values["dbcpu"]
	}
	row.Values["errors"] = float64(load.failed.Load())
	row.Values["lost"] = float64(load.sent.Load() - load.got.Load())
	row.Values["lg"] = 100 * m.loadgenCPU.Seconds() / m.elapsed.Seconds()
	if mem, merr := srv.Memory(); merr == nil {
		row.Values["rss"] = float64(mem.Peak) / (1 << 20)
	}
	if err == nil && load.failed.Load() > 0 {
		err = fmt.Errorf("%d failed requests, the first: %s", load.failed.Load(), load.firstError)
	}
	if err != nil {
		row.Note = err.Error()
	}
	return row, err
}

// createCollection creates the workload's index and collection.
func createCollection(c *mqttc.Conn) error {
	if _, err := request(c, []byte(`{"controller":"index","action":"create","index":"`+docs.Index+`","requestId":"setup-index"}`), 30*time.Second); err != nil {
		return fmt.Errorf("index:create: %w", err)
	}
	req := `{"controller":"collection","action":"create","index":"` + docs.Index + `","collection":"` + docs.Collection +
		`","requestId":"setup-collection","body":` + docs.Mappings + `}`
	if _, err := request(c, []byte(req), 30*time.Second); err != nil {
		return fmt.Errorf("collection:create: %w", err)
	}
	return nil
}
