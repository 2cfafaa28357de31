package pool

import (
	"sync"
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
