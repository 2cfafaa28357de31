package token

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/starlingmq/starling/internal/kerror"
)

// fakeClock is an injected clock whose timers fire when it advances.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

type fakeTimer struct {
	at      time.Time
	f       func()
	stopped bool
	clock   *fakeClock
}

func (t *fakeTimer) Stop() bool {
	t.clock.mu.Lock()
	defer t.clock.mu.Unlock()
	was := !t.stopped
	t.stopped = true
	return was
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 1, 2, 3, 4, 5, 250_000_000, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) AfterFunc(d time.Duration, f func()) Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{at: c.now.Add(d), f: f, clock: c}
	c.timers = append(c.timers, t)
	return t
}

// armed counts the timers not stopped nor fired.
func (c *fakeClock) armed() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, t := range c.timers {
		if !t.stopped {
			n++
		}
	}
	return n
}

// Advance moves the clock and fires the timers that are due.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	var due []func()
	for _, t := range c.timers {
		if !t.stopped && !t.at.After(c.now) {
			t.stopped = true
			due = append(due, t.f)
		}
	}
	c.mu.Unlock()
	for _, f := range due {
		f()
	}
}

// endLog records OnEnd calls.
type endLog struct {
	mu   sync.Mutex
	ends []string
}

func (l *endLog) OnEnd(t Token, why EndReason) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ends = append(l.ends, t.UserID+" "+why.String())
}

func (l *endLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.ends
	l.ends = nil
	return out
}

var testSecret = []byte("0123456789abcdef0123456789abcdef")

func testConfig() Config {
	cfg := DefaultConfig()
	cfg.Secret = testSecret
	return cfg
}

// newTestManager returns a manager on a fake clock with its end log.
func newTestManager(t *testing.T, cfg Config) (*Manager, *fakeClock, *endLog) {
	t.Helper()
	clock, log := newFakeClock(), &endLog{}
	m, err := NewManager(cfg, Options{Now: clock.Now, AfterFunc: clock.AfterFunc, OnEnd: log.OnEnd})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	return m, clock, log
}

// errID is the Kuzzle id of err, "" for nil.
func errID(err error) string {
	if err == nil {
		return ""
	}
	var ke *kerror.Error
	if errors.As(err, &ke) {
		return ke.ID
	}
	return "not a kerror: " + err.Error()
}
