package server

import (
	"context"
	"fmt"
	"maps"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/starlingmq/starling/internal/api"
	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/kerror"
)

// Counters are what a statistics frame is computed from: requests
// running, completed and failed since the server started, and live
// connections, each by protocol.
type Counters struct {
	Ongoing, Completed, Failed map[string]int64
	Connections                map[string]int
}

// Frame is one statistics frame as server:getStats returns it: the
// requests completed and failed during the frame, and the requests
// running and the connections open at its end, by protocol.
type Frame struct {
	Timestamp         int64            `json:"timestamp"`
	CompletedRequests map[string]int64 `json:"completedRequests"`
	Connections       map[string]int   `json:"connections"`
	FailedRequests    map[string]int64 `json:"failedRequests"`
	OngoingRequests   map[string]int64 `json:"ongoingRequests"`
}

// StatsConfig is Kuzzle's stats.* configuration.
type StatsConfig struct {
	// Interval is the time one frame covers (stats.statsInterval).
	Interval time.Duration
	// TTL is how long a frame is kept (stats.ttl).
	TTL time.Duration
}

// Statistics keeps the statistics frames of the last TTL, in a ring of at
// most TTL/Interval+1 frames (Kuzzle keeps them in Redis). It is safe for
// concurrent use.
type Statistics struct {
	cfg    StatsConfig
	sample func(ctx context.Context) (Counters, error)

	mu     sync.Mutex
	frames []Frame   // oldest first
	last   *Counters // the counters when the last frame was written
}

// NewStatistics returns statistics computed from sample, which must be
// safe for concurrent use.
func NewStatistics(cfg StatsConfig, sample func(ctx context.Context) (Counters, error)) *Statistics {
	return &Statistics{cfg: cfg, sample: sample}
}

// Run writes a frame every Interval until ctx ends.
func (s *Statistics) Run(ctx context.Context) {
	ticker := time.NewTicker(s.cfg.Interval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-ticker.C:
			_ = s.Tick(ctx, now) // a missed frame is no harm; the next one catches up
		}
	}
}

// Tick writes the frame ending at now and forgets the frames older than
// TTL.
func (s *Statistics) Tick(ctx context.Context, now time.Time) error {
	c, err := s.sample(ctx)
	if err != nil {
		return fmt.Errorf("statistics frame: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.frames = append(s.frames, s.frame(c, now))
	limit := 1
	if s.cfg.Interval > 0 {
		limit = int(s.cfg.TTL/s.cfg.Interval) + 1
	}
	oldest := now.Add(-s.cfg.TTL).UnixMilli()
	drop := 0
	for drop < len(s.frames) && (len(s.frames)-drop > limit || s.frames[drop].Timestamp < oldest) {
		drop++
	}
	s.frames = append(s.frames[:0], s.frames[drop:]...)
	s.last = &c
	return nil
}

// frame computes the frame ending at now from c; mu is held.
func (s *Statistics) frame(c Counters, now time.Time) Frame {
	var prev Counters
	if s.last != nil {
		prev = *s.last
	}
	conns := map[string]int{}
	for p, n := range c.Connections {
		if n > 0 {
			conns[p] = n
		}
	}
	ongoing := maps.Clone(c.Ongoing)
	if ongoing == nil {
		ongoing = map[string]int64{}
	}
	return Frame{
		Timestamp:         now.UnixMilli(),
		CompletedRequests: delta(c.Completed, prev.Completed),
		Connections:       conns,
		FailedRequests:    delta(c.Failed, prev.Failed),
		OngoingRequests:   ongoing,
	}
}

// delta returns now - before, key by key, without the zeros.
func delta(now, before map[string]int64) map[string]int64 {
	out := map[string]int64{}
	for k, v := range now {
		if d := v - before[k]; d != 0 {
			out[k] = d
		}
	}
	return out
}

// current returns the frame in progress, ending now.
func (s *Statistics) current(ctx context.Context, now time.Time) (Frame, error) {
	c, err := s.sample(ctx)
	if err != nil {
		return Frame{}, fmt.Errorf("statistics: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.frame(c, now), nil
}

// stored returns the frames written between start and stop (0: no bound),
// and whether any frame was written yet.
func (s *Statistics) stored(start, stop int64) ([]Frame, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []Frame{}
	for _, f := range s.frames {
		if (start == 0 || start <= f.Timestamp) && (stop == 0 || stop >= f.Timestamp) {
			out = append(out, f)
		}
	}
	return out, s.last != nil
}

// latest returns the last frame written, if any.
func (s *Statistics) latest() (Frame, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.frames) == 0 {
		return Frame{}, false
	}
	return s.frames[len(s.frames)-1], true
}

// statsPage is server:getStats' and getAllStats' result.
type statsPage struct {
	Hits  []Frame `json:"hits"`
	Total int     `json:"total"`
}

func (n Node) getStats(ctx context.Context, req *api.Request) (any, error) {
	if n.Stats == nil {
		return nil, kerror.New("services.statistics.not_available")
	}
	start, err := timeArg(req, "startTime")
	if err != nil {
		return nil, err
	}
	stop, err := timeArg(req, "stopTime")
	if err != nil {
		return nil, err
	}
	return n.Stats.page(ctx, start, stop)
}

func (n Node) getAllStats(ctx context.Context, _ *api.Request) (any, error) {
	if n.Stats == nil {
		return nil, kerror.New("services.statistics.not_available")
	}
	return n.Stats.page(ctx, 0, 0)
}

// page is Kuzzle's getStats: the stored frames between start and stop, or
// before the first frame, the frame in progress.
func (s *Statistics) page(ctx context.Context, start, stop int64) (statsPage, error) {
	now := time.Now()
	if start != 0 && start >= now.UnixMilli() {
		return statsPage{Hits: []Frame{}}, nil
	}
	frames, written := s.stored(start, stop)
	if !written {
		frames = []Frame{}
		if stop == 0 || stop >= now.UnixMilli() {
			f, err := s.current(ctx, now)
			if err != nil {
				return statsPage{}, err
			}
			frames = append(frames, f)
		}
	}
	return statsPage{Hits: frames, Total: len(frames)}, nil
}

// getLastStats returns the last frame written, or the frame in progress
// before the first one.
func (n Node) getLastStats(ctx context.Context, _ *api.Request) (any, error) {
	if n.Stats == nil {
		return nil, kerror.New("services.statistics.not_available")
	}
	if f, ok := n.Stats.latest(); ok {
		return f, nil
	}
	return n.Stats.current(ctx, time.Now())
}

// timeArg reads startTime or stopTime: milliseconds since the epoch, as a
// number or a numeric string, or a date string; 0 when absent.
// api.assert.invalid_argument for anything else, as Kuzzle.
func timeArg(req *api.Request, name string) (int64, error) {
	raw := req.Arg(name)
	if raw == nil || string(raw) == "null" || string(raw) == `""` || string(raw) == "0" || string(raw) == "false" {
		return 0, nil
	}
	bad := kerror.New("api.assert.invalid_argument", name, "number")
	if raw[0] != '"' {
		f, err := strconv.ParseFloat(string(raw), 64)
		if err != nil || math.IsNaN(f) {
			return 0, bad
		}
		return int64(f), nil
	}
	var text string
	if err := jsonx.Unmarshal(raw, &text); err != nil {
		return 0, bad
	}
	if f, err := strconv.ParseFloat(text, 64); err == nil {
		return int64(f), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, text); err == nil {
			return t.UnixMilli(), nil
		}
	}
	return 0, bad
}
