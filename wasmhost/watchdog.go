package wasmhost

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// expiredMark is the call start of an instance the watchdog has stopped.
const expiredMark = -1

// exitCodeTimeout is the exit code an overrunning guest is closed with.
const exitCodeTimeout = 0xdead

// watchdog enforces the deadline of every call into every instance of a
// Host, with one goroutine: a call costs two atomic stores and a clock read
// instead of a timer, and the context handed to wazero has no Done channel.
//
// A call records its start (and its limit) in its instance; on each tick the
// watchdog closes the module instance of every call past its limit. wazero
// compiles guests with termination checks (WithCloseOnContextDone), so a
// closed instance stops at its next loop iteration and the call returns an
// error; the caller then finds expiredMark in place of its start and reports
// a timeout. Deadlines are thus enforced within a tick (a quarter of the
// shortest call timeout configured, between 1 ms and 100 ms) after they pass.
type watchdog struct {
	base time.Time // the origin of call starts (monotonic clock)
	tick time.Duration
	// retick is a new tick Reconfigure asks for, 0 for none.
	retick atomic.Int64

	mu    sync.Mutex
	insts map[*instance]struct{}
}

// newWatchdog returns a watchdog ticking often enough for cfg's shortest
// call timeout.
func newWatchdog(cfg Config) *watchdog {
	return &watchdog{
		base:  time.Now(),
		tick:  tickFor(cfg),
		insts: map[*instance]struct{}{},
	}
}

// tickFor returns the watchdog tick for cfg's shortest call timeout.
func tickFor(cfg Config) time.Duration {
	shortest := cfg.Limits.CallTimeout
	for name := range cfg.Modules {
		if d := cfg.limitsFor(name).CallTimeout; d < shortest {
			shortest = d
		}
	}
	return min(max(shortest/4, time.Millisecond), 100*time.Millisecond)
}

// now returns the time elapsed since base, at least 1: a call start is
// never 0 (idle) nor expiredMark.
func (w *watchdog) now() int64 { return int64(time.Since(w.base)) + 1 }

// add makes the watchdog watch an instance's calls.
func (w *watchdog) add(in *instance) {
	w.mu.Lock()
	w.insts[in] = struct{}{}
	w.mu.Unlock()
}

// remove stops watching an instance.
func (w *watchdog) remove(in *instance) {
	w.mu.Lock()
	delete(w.insts, in)
	w.mu.Unlock()
}

// run checks the calls in progress on every tick until stop is closed.
func (w *watchdog) run(stop <-chan struct{}) {
	t := time.NewTicker(w.tick)
	defer t.Stop()
	var overdue []*instance
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		if d := time.Duration(w.retick.Swap(0)); d > 0 {
			t.Reset(d)
		}
		overdue = w.expire(overdue[:0])
		for _, in := range overdue {
			// Interrupts the guest at its next loop iteration; the call
			// returns and its caller replaces the instance.
			_ = in.mod.CloseWithExitCode(context.Background(), exitCodeTimeout)
		}
		clear(overdue)
	}
}

// expire marks the calls past their limit and appends their instances to
// dst.
func (w *watchdog) expire(dst []*instance) []*instance {
	now := w.now()
	w.mu.Lock()
	defer w.mu.Unlock()
	for in := range w.insts {
		start := in.start.Load()
		if start > 0 && now-start > in.limit.Load() && in.start.CompareAndSwap(start, expiredMark) {
			dst = append(dst, in)
		}
	}
	return dst
}

// deadline returns the deadline of a call that started at start.
func (w *watchdog) deadline(start, limit int64) time.Time {
	return w.base.Add(time.Duration(start + limit))
}

// begin starts the watch of a call into in, limited to d.
func (in *instance) begin(d time.Duration) {
	in.limit.Store(int64(d))
	in.start.Store(in.m.host.dog.now())
}

// end stops the watch of in's call and reports whether the watchdog
// stopped it (the instance must then not be used again).
func (in *instance) end() (expired bool) {
	if in.start.Swap(0) == expiredMark {
		in.broken = true
		return true
	}
	return false
}

// callDeadline returns the deadline of the call in progress on in.
func (in *instance) callDeadline() time.Time {
	start := in.start.Load()
	if start <= 0 {
		return time.Now()
	}
	return in.m.host.dog.deadline(start, in.limit.Load())
}
