// Command bench is Starling's load harness: it builds and starts Starling
// and its peers (mosquitto, aedes on node, koncorde on node) on free
// loopback ports, runs scenarios side by side for a bounded count and time,
// stops everything it started and prints one table per scenario, with the
// ratio Starling/peer under each peer.
//
//	go run ./bench [all|fanout|reqresp|idle|filters|documents|cluster] [--quick] [--out DIR] [flags]
//
// Server CPU time comes from /proc/<pid>/stat, peak memory from VmHWM. On a
// machine with two CPUs or more the servers run on CPU 0 and the load
// generator on the others (taskset), unless --pin=false. --out DIR writes
// DIR/<scenario>.json and DIR/<scenario>.svg.
//
// The cluster scenario compares Starling nodes run as one cluster with a
// single node, and a Starling storing in PostgreSQL (a throw-away cluster
// the harness starts, bench/internal/pg) with one storing in SQLite; it
// prints two tables.
//
// bench imports its own bench/internal/* packages and internal/nettest (free
// ports) only: it runs Starling as a program, as it runs the peers, and
// links none of the server's packages (the store alone, the documents
// scenario's ceiling, is the program bench/docstore).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/starlingmq/starling/bench/internal/docs"
)

// scenarios in the order `all` runs them.
func scenarios() []string {
	return []string{"fanout", "reqresp", "idle", "filters", "documents", "cluster"}
}

func main() {
	if os.Getenv(roleEnv) != "" {
		os.Exit(runRole())
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// Options are the command line.
type Options struct {
	Scenarios []string
	Quick     bool
	Out       string
	Servers   []string
	Pin       bool
	Fanout    FanoutConfig
	ReqResp   ReqRespConfig
	Idle      IdleConfig
	Filters   FiltersConfig
	Documents DocumentsConfig
	Cluster   ClusterConfig
	Verbose   bool
	// Timeout bounds the whole run.
	Timeout time.Duration
	// StarlingBin is a prebuilt Starling binary; empty: build ./cmd/starling.
	StarlingBin string
}

func parse(args []string, stderr io.Writer) (Options, error) {
	var o Options
	which := "all"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		which, args = args[0], args[1:]
	}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: go run ./bench [all|%s] [flags]\n", strings.Join(scenarios(), "|"))
		fs.PrintDefaults()
	}
	fs.BoolVar(&o.Quick, "quick", false, "short runs (all scenarios in a few minutes)")
	fs.StringVar(&o.Out, "out", "", "write <scenario>.json and <scenario>.svg into `DIR`")
	servers := fs.String("servers", "starling,mosquitto,aedes", "servers to compare (Starling first: its figures size the peers' payloads)")
	fs.BoolVar(&o.Pin, "pin", runtime.NumCPU() >= 2, "pin servers to CPU 0 and the load generator to the other CPUs")
	subs := fs.String("subscribers", "10,100,1000", "fan-out: subscriber counts")
	repeat := fs.Int("repeat", 1, "fan-out, documents, cluster: runs per case, servers interleaved; the median run is reported")
	ndocs := fs.Int("docs", 0, "documents, cluster: documents preloaded, rounded up to whole batches of 200 (default 1000000, cluster 100000; --quick 100000, cluster 20000)")
	filters := fs.Int("other-filters", 10000, "fan-out, cluster: filters registered besides the subscribers' one")
	nodes := fs.Int("nodes", 3, "cluster: nodes of the cluster")
	clusterSubs := fs.Int("cluster-subscribers", 300, "cluster: subscribers, spread over the nodes")
	clusterRate := fs.Int("cluster-rate", 100, "cluster: publishes per second of the fixed-rate case, all publishers together")
	idle := fs.String("connections", "", "idle: connection counts (default 10000,50000; --quick 10000)")
	fs.BoolVar(&o.Verbose, "v", false, "debug logs")
	fs.DurationVar(&o.Timeout, "timeout", time.Hour, "bound of the whole run: what runs then is stopped")
	fs.StringVar(&o.StarlingBin, "starling", "", "use this Starling `binary` instead of building ./cmd/starling")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	switch which {
	case "all":
		o.Scenarios = scenarios()
	case "fanout", "reqresp", "idle", "filters", "documents", "cluster":
		o.Scenarios = []string{which}
	default:
		return o, fmt.Errorf("unknown scenario %q (want all, %s)", which, strings.Join(scenarios(), ", "))
	}
	o.Servers = strings.Split(*servers, ",")
	o.Fanout, o.ReqResp, o.Idle, o.Filters = defaults(o.Quick)
	o.Documents = documentsDefaults(o.Quick)
	if *ndocs > 0 {
		// Whole preload batches, so that every request counts docs.BatchSize.
		o.Documents.Docs = (*ndocs + docs.BatchSize - 1) / docs.BatchSize * docs.BatchSize
	}
	o.Documents.Repeat = *repeat
	o.Cluster = clusterDefaults(o.Quick)
	if *ndocs > 0 {
		o.Cluster.Documents.Docs = o.Documents.Docs
	}
	if *nodes < 2 || *clusterSubs < 1 || *clusterRate < 1 {
		return o, errors.New("--nodes must be 2 or more, --cluster-subscribers and --cluster-rate 1 or more")
	}
	o.Cluster.Nodes, o.Cluster.Publishers, o.Cluster.Subscribers, o.Cluster.Rate = *nodes, *nodes, *clusterSubs, *clusterRate
	o.Cluster.Filters, o.Cluster.Repeat = *filters, *repeat
	var err error
	if o.Fanout.Subscribers, err = ints(*subs); err != nil {
		return o, fmt.Errorf("--subscribers: %w", err)
	}
	o.Fanout.Filters, o.Fanout.Repeat = *filters, *repeat
	o.ReqResp.Repeat = *repeat
	if *idle != "" {
		if o.Idle.Connections, err = ints(*idle); err != nil {
			return o, fmt.Errorf("--connections: %w", err)
		}
	}
	return o, nil
}

// defaults are the scenario sizes of a full and of a --quick run.
func defaults(quick bool) (FanoutConfig, ReqRespConfig, IdleConfig, FiltersConfig) {
	f := FanoutConfig{Filters: 10000, Deliveries: 50000, MinRate: 10, MaxRate: 5000, Duration: 10 * time.Second, Drain: 5 * time.Second}
	r := ReqRespConfig{Versions: []byte{4, 5}, Rates: []int{1000, 5000, 0}, Duration: 10 * time.Second, Window: 64, Drain: 5 * time.Second}
	i := IdleConfig{Connections: []int{10000, 50000}, Sources: 8}
	fl := FiltersConfig{Counts: []int{10000, 100000}, Families: []string{"equals", "in", "range", "exists", "geo", "regexp", "bool"}}
	if quick {
		f.Duration, f.Drain = 4*time.Second, 3*time.Second
		r.Duration, r.Drain = 3*time.Second, 3*time.Second
		i.Connections = []int{10000}
		fl.Counts, fl.Families, fl.Quick = []int{10000}, []string{"equals", "range", "regexp", "bool"}, true
	}
	return f, r, i, fl
}

// documentsDefaults are the documents scenario's sizes.
func documentsDefaults(quick bool) DocumentsConfig {
	d := DocumentsConfig{Docs: 1_000_000, Duration: 10 * time.Second, Conns: 4, Window: 16, PreloadConns: 2, PreloadWindow: 4, FewWindow: 4}
	if quick {
		d.Docs, d.Duration = 100_000, 3*time.Second
	}
	return d
}

func ints(s string) ([]int, error) {
	var out []int
	for f := range strings.SplitSeq(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("bad count %q", f)
		}
		out = append(out, n)
	}
	return out, nil
}

func run(args []string, stdout, stderr io.Writer) int {
	o, err := parse(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "bench:", err)
		return 2
	}
	level := slog.LevelInfo
	if o.Verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	h, cleanup, err := NewHarness(ctx, o, log)
	if err != nil {
		log.Error("set-up failed", "err", err)
		return 1
	}
	defer cleanup()
	h.Command = "go run ./bench " + strings.Join(args, " ")
	fmt.Fprintf(stdout, "# Starling benchmarks, %s, %d CPUs, %s\n", time.Now().Format("2006-01-02 15:04 MST"), runtime.NumCPU(), h.pinning())
	fmt.Fprintf(stdout, "command: `%s`\n", h.Command)
	status := 0
	for _, s := range o.Scenarios {
		if ctx.Err() != nil {
			return 1
		}
		reps, err := h.Run(ctx, s, o)
		for _, rep := range reps {
			if err == nil && rep != nil && rep.Failed() {
				err = errors.New("some cases failed")
			}
		}
		if err != nil {
			log.Error("scenario failed", "scenario", s, "err", err)
			status = 1
		}
		for _, rep := range reps {
			if rep == nil {
				continue
			}
			rep.Print(stdout)
			if o.Out != "" {
				if err := rep.Write(o.Out); err != nil {
					log.Error("write results", "err", err)
					status = 1
				}
			}
		}
	}
	return status
}

// Harness holds what every scenario uses.
type Harness struct {
	Env      *Env
	Servers  []string
	Epoch    time.Time // origin of the payloads' time stamps
	Command  string
	LoadCPUs string // taskset list of the load generator, "" when not pinned
	Log      *slog.Logger
	// Require turns a missing peer into an error instead of a note.
	Require bool
}

// Run runs one scenario and returns its reports: one table each (the
// cluster scenario has two).
func (h *Harness) Run(ctx context.Context, scenario string, o Options) ([]*Report, error) {
	start := time.Now()
	defer func() {
		h.Log.Info("scenario done", "scenario", scenario, "took", time.Since(start).Round(time.Millisecond))
	}()
	one := func(r *Report) []*Report { return []*Report{r} }
	switch scenario {
	case "fanout":
		return one(h.Fanout(ctx, o.Fanout)), nil
	case "reqresp":
		return one(h.ReqResp(ctx, o.ReqResp)), nil
	case "idle":
		return one(h.Idle(ctx, o.Idle)), nil
	case "filters":
		rep, err := h.Filters(ctx, o.Filters)
		return one(rep), err
	case "documents":
		return one(h.Documents(ctx, o.Documents)), nil
	case "cluster":
		return h.Cluster(ctx, o.Cluster), nil
	}
	return nil, fmt.Errorf("unknown scenario %q", scenario)
}

// NewHarness builds Starling, finds the peers, raises the open files limit
// and pins the load generator; cleanup removes the scratch directory.
func NewHarness(ctx context.Context, o Options, log *slog.Logger) (*Harness, func(), error) {
	repo, err := moduleRoot()
	if err != nil {
		return nil, nil, err
	}
	dir, err := os.MkdirTemp("", "starling-bench-")
	if err != nil {
		return nil, nil, fmt.Errorf("scratch directory: %w", err)
	}
	cleanup := func() { os.RemoveAll(dir) }
	env := &Env{
		Starling: filepath.Join(dir, "starling"),
		Modules:  filepath.Join(repo, "bench", "node", "node_modules"),
		AedesJS:  filepath.Join(repo, "bench", "peers", "aedes-broker.js"),
		Repo:     repo,
		Dir:      dir,
		Log:      log,
	}
	if o.StarlingBin != "" {
		if env.Starling, err = filepath.Abs(o.StarlingBin); err != nil {
			cleanup()
			return nil, nil, err
		}
	} else if err := buildStarling(ctx, repo, env.Starling); err != nil {
		cleanup()
		return nil, nil, err
	}
	h := &Harness{Env: env, Servers: o.Servers, Epoch: time.Now(), Log: log, Require: os.Getenv("STARLING_REQUIRE_ALL") == "1"}
	if err := raiseOpenFiles(); err != nil {
		log.Warn("open files limit", "err", err)
	}
	if o.Pin && runtime.NumCPU() >= 2 {
		env.ServerCPU, h.LoadCPUs = "0", fmt.Sprintf("1-%d", runtime.NumCPU()-1)
		if err := pinSelf(h.LoadCPUs); err != nil {
			log.Warn("load generator not pinned", "err", err)
			env.ServerCPU, h.LoadCPUs = "", ""
		}
	}
	return h, cleanup, nil
}

func buildStarling(ctx context.Context, repo, out string) error {
	build := exec.CommandContext(ctx, "go", "build", "-o", out, "./cmd/starling")
	build.Dir = repo
	if msg, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("build Starling: %w: %s", err, msg)
	}
	return nil
}

func (h *Harness) pinning() string {
	if h.LoadCPUs == "" {
		return "no CPU pinning"
	}
	return fmt.Sprintf("servers on CPU %s, load generator on CPU %s", h.Env.ServerCPU, h.LoadCPUs)
}

// moduleRoot finds the directory of go.mod from the working directory up.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory: run from the repository")
		}
		dir = parent
	}
}

// raiseOpenFiles lifts the soft open files limit to the hard one; the
// servers, started after, inherit it.
func raiseOpenFiles() error {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return fmt.Errorf("getrlimit: %w", err)
	}
	l.Cur = l.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return fmt.Errorf("setrlimit %d: %w", l.Max, err)
	}
	return nil
}

// openFilesLimit is the current soft limit on open files.
func openFilesLimit() int {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return 1024
	}
	return int(min(l.Cur, 1<<30))
}

// pinSelf moves every thread of this process to cpus; threads started
// later inherit the affinity of the thread that starts them.
func pinSelf(cpus string) error {
	out, err := exec.Command("taskset", "-a", "-p", "-c", cpus, strconv.Itoa(os.Getpid())).CombinedOutput()
	if err != nil {
		return fmt.Errorf("taskset: %w: %s", err, out)
	}
	return nil
}

// servers lists the servers to run, noting in rep those not installed.
func (h *Harness) servers(rep *Report) []string {
	var out []string
	for _, s := range h.Servers {
		if err := h.Env.Available(s); err != nil {
			rep.Note("%s skipped: %v", s, err)
			if h.Require {
				h.Log.Error("peer missing with STARLING_REQUIRE_ALL=1", "server", s, "err", err)
				rep.Rows = append(rep.Rows, Row{Case: "-", Server: s, Note: "missing: " + err.Error(), Values: map[string]float64{}})
			}
			continue
		}
		out = append(out, s)
	}
	return out
}

func (h *Harness) newReport(name, title string, cols []Column) *Report {
	return &Report{Scenario: name, Title: title, Date: time.Now().UTC(), Command: h.Command, Columns: cols}
}
