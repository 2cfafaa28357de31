package pool

import (
	"sync"
	"sync/atomic"
	"testing"
)

func TestRunsEverythingScheduled(t *testing.T) {
	p := New(2, 4)
	var wg sync.WaitGroup
	for range 1000 { // more than the queue holds: some runs get their own goroutine
		wg.Add(1)
		p.Schedule(wg.Done)
	}
	wg.Wait()
	p.Stop()
	p.Stop() // twice is harmless
	wg.Add(1)
	p.Schedule(wg.Done) // after Stop: still run
	wg.Wait()
}

// TestOneWorkerQueuesThenOverflows: on a pool of one worker and a queue of
// one, the dispatcher's, a run scheduled while the worker is busy waits for
// it and runs on it; a run beyond the queue starts at once on a goroutine of
// its own instead of blocking Schedule.
func TestOneWorkerQueuesThenOverflows(t *testing.T) {
	p := New(1, 1)
	defer p.Stop()
	started := make(chan string, 3)
	release := make(chan struct{})
	p.Schedule(func() { started <- "busy"; <-release })
	if got := <-started; got != "busy" {
		t.Fatalf("first run: got %q", got)
	}
	p.Schedule(func() { started <- "queued" })   // the worker is busy: the queue holds it
	p.Schedule(func() { started <- "overflow" }) // the queue is full: a goroutine of its own
	if got := <-started; got != "overflow" {
		t.Fatalf("while the worker is busy: got %q, want the overflow run", got)
	}
	close(release)
	if got := <-started; got != "queued" {
		t.Fatalf("after the busy run: got %q, want the queued run", got)
	}
}

// BenchmarkScheduleRoundTrip: one run scheduled and waited for, as a
// mailbox woken by one message.
func BenchmarkScheduleRoundTrip(b *testing.B) {
	p := New(2, 4096)
	defer p.Stop()
	done := make(chan struct{})
	run := func() { done <- struct{}{} }
	for b.Loop() {
		p.Schedule(run)
		<-done
	}
}

// BenchmarkScheduleRoundTripOneWorker: the same on the dispatcher's pool of
// one goroutine and a queue of one.
func BenchmarkScheduleRoundTripOneWorker(b *testing.B) {
	p := New(1, 1)
	defer p.Stop()
	done := make(chan struct{})
	run := func() { done <- struct{}{} }
	for b.Loop() {
		p.Schedule(run)
		<-done
	}
}

// TestInlineRunsOnTheCaller: with Inline, a run happens before Schedule
// returns, on the caller's goroutine; runs scheduled from inside inline runs
// nest at most to the bound, the next ones go to the pool.
func TestInlineRunsOnTheCaller(t *testing.T) {
	p := New(1, 16, Inline(2))
	defer p.Stop()
	ran := false
	p.Schedule(func() { ran = true })
	if !ran {
		t.Fatal("an inline run did not happen before Schedule returned")
	}
	var wg sync.WaitGroup
	var deepest atomic.Int32
	var nest func(depth int32) func()
	nest = func(depth int32) func() {
		return func() {
			defer wg.Done()
			if depth > deepest.Load() {
				deepest.Store(depth)
			}
			if depth < 5 {
				wg.Add(1)
				p.Schedule(nest(depth + 1)) // inline while the bound allows
			}
		}
	}
	wg.Add(1)
	p.Schedule(nest(1))
	wg.Wait()
	if got := deepest.Load(); got != 5 {
		t.Fatalf("%d runs, want 5", got)
	}
	if p.inline.Load() != 0 {
		t.Fatalf("%d inline runs still counted", p.inline.Load())
	}
}
