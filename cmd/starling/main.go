// Command starling runs a Starling server: Kuzzle's API over MQTT.
//
//	starling [--config FILE] [--cpuprofile FILE] [--memprofile FILE]
//	starling --version
//	starling wasm run [--action A | --filter F | --pipe E | --hook E] … MODULE.wasm
//	starling healthcheck [URL]
//
// Configuration comes from built-in defaults, then a kuzzlerc JSON file
// (--config, else Kuzzle's lookup: .kuzzlerc up from the working directory,
// ~/.kuzzlerc, /etc/kuzzlerc …), then kuzzle_… environment variables.
// SIGINT or SIGTERM stops accepting clients, answers the requests in flight
// and exits 0. SIGHUP re-reads the TLS certificate files of the listeners
// with TLS on; a failure is logged and the old certificates stay. It also
// reads the configuration again and reloads the Wasm modules whose
// plugins.wasm limits or settings changed.
//
// `starling wasm run` loads one Wasm module and makes one call into it, API
// calls mocked (see wasmhost/wasmtest); `starling wasm` prints its flags.
// `starling healthcheck` exits 0 when the node configured as the server
// would be (or the one at URL) answers GET /_healthcheck, 1 otherwise: the
// container image's health check, which has no shell nor curl to run.
//
// starling imports actors/node, internal/config, and for `wasm run`
// wasmhost/wasmtest (with wasmhost, internal/jsonx and internal/kerror):
// node wires the rest.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"

	"github.com/starlingmq/starling/actors/node"
	"github.com/starlingmq/starling/internal/config"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "wasm" {
		os.Exit(runWasm(os.Args[2:], os.Stdin, os.Stdout, os.Stderr))
	}
	if len(os.Args) > 1 && os.Args[1] == "healthcheck" {
		os.Exit(runHealthcheck(os.Args[2:], config.OSSources(""), os.Stderr))
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// startCPUProfile profiles the process into path until stop is called.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

// writeAllocProfile writes the allocations sampled since start to path.
func writeAllocProfile(path string, stderr io.Writer) {
	f, err := os.Create(path)
	if err == nil {
		err = pprof.Lookup("allocs").WriteTo(f, 0)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "starling: memory profile: %v\n", err)
	}
}

// newLogger writes INFO and above to w, as server.logs.format says: "json"
// for one JSON object per line, else slog's text lines.
func newLogger(format string, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: slog.LevelInfo}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// waitForStop returns once ctx ends (SIGINT, SIGTERM), reloading the TLS
// certificates and the Wasm settings (configuration file read again) on
// every SIGHUP meanwhile.
func waitForStop(ctx context.Context, hup <-chan os.Signal, n *node.Node, log *slog.Logger, configFile string) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			reloadTLS(n, log)
			reloadWasm(n, log, configFile)
		}
	}
}

// reloadWasm reads the configuration again and reloads the Wasm modules
// whose limits or settings changed, on SIGHUP. A configuration that cannot
// be read or used is logged and changes nothing.
func reloadWasm(n *node.Node, log *slog.Logger, configFile string) {
	cfg, err := config.Load(config.OSSources(configFile))
	if err != nil {
		log.Error("SIGHUP: configuration not read again, Wasm settings kept", "error", err)
		return
	}
	changed, err := n.ReloadWasm(cfg.Wasm)
	if err != nil {
		log.Error("SIGHUP: Wasm settings kept", "error", err)
		return
	}
	log.Info("SIGHUP: Wasm settings read again", "reloaded", changed)
}

// reloadTLS re-reads the TLS files of every listener, on SIGHUP. A failure
// is logged and the listeners keep their certificates: the server goes on.
func reloadTLS(n *node.Node, log *slog.Logger) {
	listeners := n.TLSListeners()
	if err := n.ReloadTLS(); err != nil {
		log.Error("SIGHUP: TLS reload failed, previous certificates kept", "error", err)
		return
	}
	log.Info("SIGHUP: TLS certificates reloaded", "listeners", listeners)
}

// run is main without the process exit, returning the exit status.
// --version prints the version server:info reports on stdout; logs and
// errors go to stderr.
func run(args []string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("starling", flag.ContinueOnError)
	flags.SetOutput(stderr)
	configFile := flags.String("config", "", "kuzzlerc JSON `file` to read (default: Kuzzle's lookup)")
	cpuProfile := flags.String("cpuprofile", "", "write a CPU profile of the whole run to `file` (for go tool pprof)")
	memProfile := flags.String("memprofile", "", "write an allocation profile of the whole run to `file` at exit (for go tool pprof)")
	version := flags.Bool("version", false, "print the version and exit")
	clustered := flags.Bool("cluster", false, "run as a node of the cluster the cluster.* keys describe (sets cluster.enabled)")
	if err := flags.Parse(args); err != nil {
		return 2
	}
	if *version {
		fmt.Fprintf(stdout, "starling %s\n", node.Version)
		return 0
	}
	if *cpuProfile != "" {
		stop, err := startCPUProfile(*cpuProfile)
		if err != nil {
			fmt.Fprintf(stderr, "starling: %v\n", err)
			return 1
		}
		defer stop()
	}
	if *memProfile != "" {
		defer writeAllocProfile(*memProfile, stderr)
	}
	cfg, err := config.Load(config.OSSources(*configFile))
	if err != nil {
		fmt.Fprintf(stderr, "starling: %v\n", err)
		return 1
	}
	if *clustered {
		cfg.Cluster.Enabled = true
	}
	log := newLogger(cfg.Server.Logs.Format, stderr)
	if cfg.File != "" {
		log.Info("configuration file read", "file", cfg.File)
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	hup := make(chan os.Signal, 1) // caught from now on: SIGHUP must not end the process
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	n, err := node.Start(node.Options{Config: cfg, Logger: log})
	if err != nil {
		fmt.Fprintf(stderr, "starling: %v\n", err)
		return 1
	}
	waitForStop(ctx, hup, n, log, *configFile)
	log.Info("shutting down: answering requests in flight")
	// server.protocols.mqtt.shutdownTimeout bounds the whole shutdown,
	// whatever the clients do.
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.Server.MQTT.ShutdownTimeout)
	defer cancel()
	if err := n.Shutdown(shutdownCtx); err != nil {
		log.Error("shutdown incomplete", "error", err)
		return 1
	}
	return 0
}
