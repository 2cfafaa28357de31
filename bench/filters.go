package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Koncorde is the filter engine peer: koncorde 4.7.0 on node.
const Koncorde = "koncorde"

// FiltersConfig is the filter matching scenario, which runs the filter
// engine benchmark of bench/filters (its own command: a main package cannot
// be imported) and reads its table.
type FiltersConfig struct {
	Counts   []int
	Families []string
	Quick    bool
	Timeout  time.Duration // of the whole run; default 10 min
}

func filtersColumns() []Column {
	return []Column{
		{Key: "reg", Header: "registrations/s", Chart: true},
		{Key: "match", Header: "matches/s", Chart: true},
		{Key: "raw", Header: "matches/s from JSON"},
		{Key: "bytes", Header: "heap B/filter", Lower: true, Chart: true},
	}
}

// Filters runs the filter matching scenario: Starling's engine and
// koncorde on the same filters and documents.
func (h *Harness) Filters(ctx context.Context, cfg FiltersConfig) (*Report, error) {
	rep := h.newReport("filters", "filter engine: Starling's koncorde package vs koncorde 4.7.0 on node (bench/filters)", filtersColumns())
	if err := h.Env.Available(Koncorde); err != nil {
		rep.Note("koncorde skipped: %v", err)
		if h.Require {
			return rep, fmt.Errorf("koncorde missing with STARLING_REQUIRE_ALL=1: %w", err)
		}
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 10 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	bin := filepath.Join(h.Env.Dir, "filters")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./bench/filters")
	build.Dir = h.Env.Repo
	if out, err := build.CombinedOutput(); err != nil {
		return rep, fmt.Errorf("build bench/filters: %w: %s", err, out)
	}
	counts := make([]string, len(cfg.Counts))
	for i, n := range cfg.Counts {
		counts[i] = strconv.Itoa(n)
	}
	args := []string{"--filters", strings.Join(counts, ","), "--families", strings.Join(cfg.Families, ",")}
	if cfg.Quick {
		args = append(args, "--quick")
	}
	cmd := h.Env.command(ctx, bin, args...)
	cmd.Dir = h.Env.Repo // it finds its node script and bench/node from there
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return rep, fmt.Errorf("bench/filters: %w: %s", err, stderr.String())
	}
	if err := parseFilters(out, rep, h.Env.Available(Koncorde) == nil); err != nil {
		return rep, err
	}
	rep.Note("bench/filters %s; matches/s from JSON: Starling matching raw document bytes (koncorde needs decoded documents).", strings.Join(args, " "))
	return rep, nil
}

// parseFilters reads bench/filters' table: per line a family, a filter
// count, then koncorde's and Starling's registrations/s and ratio, their
// matches/s and ratio, Starling's raw matches/s, and both heap bytes per
// filter.
func parseFilters(out []byte, rep *Report, withKoncorde bool) error {
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(strings.ReplaceAll(sc.Text(), "|", " "))
		if len(f) != 11 || f[0] == "workload" {
			continue
		}
		n := make([]float64, len(f))
		for i := 1; i < len(f); i++ {
			n[i], _ = strconv.ParseFloat(f[i], 64) // "-" ratios stay 0
		}
		label := f[0] + " × " + group(int64(n[1]))
		rep.Add(Row{Case: label, Server: Starling, Values: map[string]float64{"reg": n[3], "match": n[6], "raw": n[8], "bytes": n[10]}})
		if withKoncorde {
			rep.Add(Row{Case: label, Server: Koncorde, Values: map[string]float64{"reg": n[2], "match": n[5], "bytes": n[9]}})
		}
	}
	if len(rep.Rows) == 0 {
		return errors.New("bench/filters printed no results")
	}
	return nil
}

// koncordeAvailable says why koncorde cannot run, if it cannot.
func koncordeAvailable(modules string) error {
	if _, err := exec.LookPath("node"); err != nil {
		return errors.New("node not installed")
	}
	if _, err := os.Stat(filepath.Join(modules, "koncorde", "package.json")); err != nil {
		return errors.New("koncorde not installed (npm ci --prefix bench/node)")
	}
	return nil
}
