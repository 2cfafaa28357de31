package dispatcher

import (
	"sync"
	"testing"
)

func TestDedicatedGoroutineRunsEverything(t *testing.T) {
	g := newDedicatedGoroutine()
	var wg sync.WaitGroup
	for range 100 {
		wg.Add(1)
		g.Schedule(wg.Done)
		wg.Wait() // a mailbox schedules one run at a time
	}
	g.stop()
	g.stop()       // twice is harmless
	for range 10 { // after stop: each run gets a goroutine of its own
		wg.Add(1)
		g.Schedule(wg.Done)
	}
	wg.Wait()
}
