// Command docstore measures the document store alone, with no server in
// front of it: the ceiling of the documents scenario. It opens the SQLite
// store (internal/store/sqlite, flushed before each answer, group commit) in a
// directory, creates the workload's collection (bench/internal/docs), then
// runs the scenario's phases in its own process and prints one JSON line
// per phase:
//
//	preload  N documents, Write batches of docs.BatchSize from --writers goroutines
//	create   Write of one document from --window goroutines, for --duration
//	get      Get of one random preloaded id from --window goroutines
//	search   Search of a random city term, size 10, from --window goroutines
//	search-few  the same from --low-window goroutines
//
// A Write returns once its commit is on disk, as Starling's document:create
// answers. CPU time is the whole process's (the store and the goroutines
// calling it). go run ./bench documents runs it on the servers' CPU.
//
//	go run ./bench/docstore --dir /tmp/x --docs 1000000 --duration 10s
//
// docstore imports bench/internal/docs, bench/internal/hist,
// bench/internal/proc, internal/jsonx, internal/store,
// internal/store/mapping, internal/store/query and internal/store/sqlite only.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"github.com/starlingmq/starling/bench/internal/docs"
	"github.com/starlingmq/starling/internal/store/mapping"
	"github.com/starlingmq/starling/internal/store/sqlite"
)

func main() {
	var cfg Config
	flag.StringVar(&cfg.Dir, "dir", "", "storage `directory` (required; the store is created in it)")
	flag.IntVar(&cfg.Docs, "docs", 1_000_000, "documents to preload")
	flag.IntVar(&cfg.Writers, "writers", 4, "preload: goroutines writing batches")
	flag.IntVar(&cfg.Window, "window", 64, "create, get, search: goroutines, each with one operation at a time")
	flag.IntVar(&cfg.LowWindow, "low-window", 4, "search-few: goroutines")
	flag.DurationVar(&cfg.Duration, "duration", 10*time.Second, "create, get, search: length of each phase")
	flag.IntVar(&cfg.MaxOps, "max-ops", 5_000_000, "create, get, search: bound of the operations of a phase")
	flag.StringVar(&cfg.CPUProfile, "cpuprofile", "", "write a CPU profile of each phase named by --profile to `file`.<phase>")
	flag.StringVar(&cfg.Profile, "profile", "create,get,search", "phases the CPU profile covers")
	flag.StringVar(&cfg.Phases, "phases", "preload,create,get,search,search-few", "phases to run, in their order (without preload, --dir must hold the --docs documents of an earlier run)")
	flag.StringVar(&cfg.Synchronous, "synchronous", "full", "SQLite synchronous mode: full or normal (storage.synchronous)")
	flag.Parse()
	if cfg.Dir == "" {
		fmt.Fprintln(os.Stderr, "docstore: --dir is required")
		os.Exit(2)
	}
	if err := run(context.Background(), cfg, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "docstore:", err)
		os.Exit(1)
	}
}

// Config is the command line.
type Config struct {
	Dir     string
	Docs    int
	Writers int
	Window  int
	// LowWindow is the goroutines of the search-few phase.
	LowWindow int
	Duration  time.Duration
	MaxOps    int
	// CPUProfile, when set, receives a CPU profile of the Profile phases.
	CPUProfile string
	Profile    string
	// Phases lists the phases to run.
	Phases string
	// Synchronous is storage.synchronous: "full" or "normal".
	Synchronous string
}

// run opens the store in cfg.Dir, runs the phases and writes their lines
// to out.
func run(ctx context.Context, cfg Config, out io.Writer) error {
	st, err := sqlite.Open(ctx, cfg.Dir, sqlite.Options{Normal: cfg.Synchronous == "normal"})
	if err != nil {
		return err
	}
	defer st.Close()
	m, err := mapping.Parse([]byte(docs.Mappings))
	if err != nil {
		return fmt.Errorf("mappings: %w", err)
	}
	if err := st.CreateCollection(ctx, docs.Index, docs.Collection, m, nil); err != nil && strings.Contains(cfg.Phases, "preload") {
		return fmt.Errorf("create the collection: %w", err)
	}
	b := &bench{st: st, cfg: cfg}
	if m, err = st.Mapping(ctx, docs.Index, docs.Collection); err != nil {
		return fmt.Errorf("mappings: %w", err)
	}
	b.mappings = m
	enc := json.NewEncoder(out)
	for _, phase := range []struct {
		name string
		run  func(context.Context) (Phase, error)
	}{
		{"preload", b.preload},
		{"create", b.create},
		{"get", b.get},
		{"search", b.search},
		{"search-few", b.searchFew},
	} {
		if cfg.Phases != "" && !slices.Contains(strings.Split(cfg.Phases, ","), phase.name) {
			continue
		}
		stop, err := startProfile(cfg, phase.name)
		if err != nil {
			return err
		}
		p, err := b.measure(ctx, phase.run)
		stop()
		if err != nil {
			return fmt.Errorf("%s: %w", phase.name, err)
		}
		p.Name = phase.name
		if err := enc.Encode(p); err != nil {
			return err
		}
	}
	return nil
}

// startProfile starts a CPU profile of phase into CPUProfile.<phase>, if
// asked.
func startProfile(cfg Config, phase string) (stop func(), err error) {
	if cfg.CPUProfile == "" || !slices.Contains(strings.Split(cfg.Profile, ","), phase) {
		return func() {}, nil
	}
	f, err := os.Create(cfg.CPUProfile + "." + phase)
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}
