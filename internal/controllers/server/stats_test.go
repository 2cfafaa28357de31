package server

import (
	"context"
	"testing"
	"time"

	"github.com/starlingmq/starling/internal/jsonx"
)

// fakeCounters returns the counters it is set to.
type fakeCounters struct{ c Counters }

func (f *fakeCounters) sample(context.Context) (Counters, error) { return f.c, nil }

func TestStatisticsFrames(t *testing.T) {
	f := &fakeCounters{}
	s := NewStatistics(StatsConfig{Interval: 10 * time.Second, TTL: 30 * time.Second}, f.sample)
	t0 := time.UnixMilli(1_000_000)
	steps := []struct {
		counters Counters
		want     string // the frame written, as JSON
	}{
		{Counters{Completed: map[string]int64{"mqtt": 3}, Failed: map[string]int64{"mqtt": 1}, Ongoing: map[string]int64{"mqtt": 2}, Connections: map[string]int{"mqtt": 4}},
			`{"timestamp":1000000,"completedRequests":{"mqtt":3},"connections":{"mqtt":4},"failedRequests":{"mqtt":1},"ongoingRequests":{"mqtt":2}}`},
		{Counters{Completed: map[string]int64{"mqtt": 5}, Failed: map[string]int64{"mqtt": 1}, Ongoing: map[string]int64{"mqtt": 0}, Connections: map[string]int{"mqtt": 0}},
			`{"timestamp":1010000,"completedRequests":{"mqtt":2},"connections":{},"failedRequests":{},"ongoingRequests":{"mqtt":0}}`},
		{Counters{},
			`{"timestamp":1020000,"completedRequests":{},"connections":{},"failedRequests":{},"ongoingRequests":{}}`},
	}
	for i, step := range steps {
		f.c = step.counters
		if err := s.Tick(context.Background(), t0.Add(time.Duration(i)*10*time.Second)); err != nil {
			t.Fatal(err)
		}
		last, _ := s.latest()
		if got, _ := jsonx.Marshal(last); string(got) != step.want {
			t.Errorf("frame %d:\n got %s\nwant %s", i, got, step.want)
		}
	}
	// TTL 30s at interval 10s keeps 4 frames; the fifth tick drops the first.
	for i := 3; i < 5; i++ {
		_ = s.Tick(context.Background(), t0.Add(time.Duration(i)*10*time.Second))
	}
	frames, _ := s.stored(0, 0)
	if len(frames) != 4 || frames[0].Timestamp != 1010000 {
		t.Errorf("ring: %d frames, first at %d", len(frames), frames[0].Timestamp)
	}
	tests := []struct {
		start, stop int64
		want        int
	}{
		{0, 0, 4},
		{1020000, 0, 3},
		{0, 1020000, 2},
		{1020000, 1030000, 2},
		{1050000, 0, 0},
	}
	for _, tt := range tests {
		if got, _ := s.stored(tt.start, tt.stop); len(got) != tt.want {
			t.Errorf("stored(%d, %d): %d frames, want %d", tt.start, tt.stop, len(got), tt.want)
		}
	}
}

func TestStatisticsBeforeFirstFrame(t *testing.T) {
	f := &fakeCounters{Counters{Completed: map[string]int64{"mqtt": 7}}}
	s := NewStatistics(StatsConfig{Interval: time.Hour, TTL: time.Hour}, f.sample)
	page, err := s.page(context.Background(), 0, 0)
	if err != nil || page.Total != 1 || page.Hits[0].CompletedRequests["mqtt"] != 7 {
		t.Errorf("page before any frame: %+v, %v", page, err)
	}
	page, _ = s.page(context.Background(), 0, 1)
	if page.Total != 0 {
		t.Errorf("stopTime in the past: %+v", page)
	}
	page, _ = s.page(context.Background(), time.Now().Add(time.Hour).UnixMilli(), 0)
	if page.Total != 0 || page.Hits == nil {
		t.Errorf("startTime in the future: %+v", page)
	}
}
