package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
)

// driverPhase is a JSON line of bench/docstore.
type driverPhase struct {
	Name       string  `json:"phase"`
	Ops        int64   `json:"ops"`
	Errors     int64   `json:"errors"`
	Seconds    float64 `json:"seconds"`
	CPU        float64 `json:"cpuMicros"`
	P50        float64 `json:"p50"`
	P99        float64 `json:"p99"`
	P999       float64 `json:"p999"`
	RSS        float64 `json:"rssMiB"`
	FirstError string  `json:"firstError"`
}

// documentsDriver runs bench/docstore (built once) on the servers' CPU
// with fresh storage and returns one row per case.
func (h *Harness) documentsDriver(ctx context.Context, cfg DocumentsConfig, _ *Report) ([]Row, error) {
	bin := filepath.Join(h.Env.Dir, "docstore")
	if _, err := os.Stat(bin); err != nil {
		build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./bench/docstore")
		build.Dir = h.Env.Repo
		if out, err := build.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("build bench/docstore: %w: %s", err, out)
		}
	}
	dir, err := os.MkdirTemp(h.Env.Dir, "docstore-")
	if err != nil {
		return nil, fmt.Errorf("storage directory: %w", err)
	}
	defer os.RemoveAll(dir)
	cmd := h.Env.command(ctx, bin, "--dir", dir, "--docs", strconv.Itoa(cfg.Docs),
		"--writers", strconv.Itoa(cfg.PreloadConns*cfg.PreloadWindow), "--window", strconv.Itoa(cfg.Conns*cfg.Window),
		"--low-window", strconv.Itoa(cfg.FewWindow), "--duration", cfg.Duration.String(), "--max-ops", strconv.Itoa(maxPhaseOps))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var rows []Row
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var p driverPhase
		if jerr := json.Unmarshal(sc.Bytes(), &p); jerr != nil {
			return rows, fmt.Errorf("bench/docstore output %q: %w", sc.Text(), jerr)
		}
		rows = append(rows, p.row())
	}
	if err != nil {
		return rows, fmt.Errorf("bench/docstore: %w: %s", err, bytes.TrimSpace(stderr.Bytes()))
	}
	return rows, nil
}

// row turns a phase into a table row.
func (p driverPhase) row() Row {
	v := map[string]float64{
		"rate":   float64(p.Ops) / max(p.Seconds, 1e-3),
		"cpu":    p.CPU / max(float64(p.Ops), 1),
		"errors": float64(p.Errors),
		"rss":    p.RSS,
	}
	if p.Name != "preload" {
		v["p50"], v["p99"], v["p999"] = p.P50, p.P99, p.P999
	}
	row := Row{Values: v}
	if p.Errors > 0 {
		row.Note = fmt.Sprintf("%d failed operations, the first: %s", p.Errors, p.FirstError)
	}
	return row
}
