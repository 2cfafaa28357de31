package main

import (
	"context"
	"time"
)

type ReqRespConfig struct {
	Versions []byte
	Rates    []int
	Duration time.Duration
	Window   int
	Drain    time.Duration
}
type IdleConfig struct {
	Connections []int
	Sources     int
}
type FiltersConfig struct {
	Counts   []int
	Families []string
	Quick    bool
}

const roleEnv = "STARLING_BENCH_ROLE"

func runRole() int                                                      { return 0 }
func (h *Harness) ReqResp(ctx context.Context, c ReqRespConfig) *Report { return nil }
func (h *Harness) Idle(ctx context.Context, c IdleConfig) *Report       { return nil }
func (h *Harness) Filters(ctx context.Context, c FiltersConfig) (*Report, error) {
	return nil, nil
}
