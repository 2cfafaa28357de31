// Command filters benchmarks Starling's filter engine side by side with
// koncorde 4.7.0 on node: same filters, same documents, same run.
//
//	go run ./bench/filters --filters 10000,100000 [--quick] [--families equals,range]
//
// Per workload it prints registrations/s (the median of RegisterPasses
// passes, each into a new engine, for both engines), matches/s and heap
// bytes per filter for both engines and their ratios; Starling's matches/s from raw
// JSON bytes are a third column. Node and `npm ci --prefix bench/node` are
// needed for the koncorde side; without them only Starling is measured.
//
// filters imports internal/koncorde and internal/jsonx only.
package main

import (
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

func main() {
	counts := flag.String("filters", "10000,100000", "comma-separated numbers of filters per workload")
	families := flag.String("families", strings.Join(Families, ","), "comma-separated keyword families")
	quick := flag.Bool("quick", false, "shorter runs: fewer documents, 1 s of matching per engine")
	modules := flag.String("node-modules", "bench/node/node_modules", "where koncorde is installed")
	flag.Parse()
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))

	cfg := RunConfig{Docs: 2000, Seconds: 3, MaxMatches: 2_000_000}
	if *quick {
		cfg = RunConfig{Docs: 500, Seconds: 1, MaxMatches: 500_000}
	}
	script, _ := filepath.Abs("bench/filters/koncorde-bench.js")
	mods, _ := filepath.Abs(*modules)
	node := NodeSide{Script: script, Modules: mods}
	if err := node.Available(); err != nil {
		logger.Warn("koncorde side disabled", "err", err)
		node = NodeSide{}
	}
	fmt.Printf("%-11s %8s | %12s %12s %6s | %12s %12s %6s %12s | %9s %9s\n",
		"workload", "filters", "reg/s kon", "reg/s star", "x", "match/s kon", "match/s star", "x", "match/s raw", "B/f kon", "B/f star")
	for _, fam := range strings.Split(*families, ",") {
		for _, c := range strings.Split(*counts, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(c))
			if err != nil || n <= 0 {
				logger.Error("bad --filters value", "value", c)
				os.Exit(2)
			}
			w := NewWorkload(fam, n, cfg.Docs, 42)
			star := MeasureStarling(w, cfg)
			var kon Result
			if node.Script != "" {
				if kon, err = node.Measure(w, cfg); err != nil {
					logger.Error("koncorde side failed", "workload", fam, "err", err)
				}
			}
			fmt.Printf("%-11s %8d | %12.0f %12.0f %6s | %12.0f %12.0f %6s %12.0f | %9.0f %9.0f\n",
				fam, n, kon.RegPerSec, star.RegPerSec, ratio(star.RegPerSec, kon.RegPerSec),
				kon.MatchPerSec, star.MatchPerSec, ratio(star.MatchPerSec, kon.MatchPerSec), star.RawPerSec,
				kon.BytesPerFilter, star.BytesPerFilter)
		}
	}
}

func ratio(a, b float64) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f", a/b)
}
