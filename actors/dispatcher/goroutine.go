package dispatcher

import "sync"

// dedicatedGoroutine is a protoactor Dispatcher that runs its actor's mailbox
// on one long-lived goroutine instead of a fresh goroutine per burst of
// messages. Parsing JSON needs a deep stack; a fresh goroutine would grow and
// copy its stack on every burst, which cost more than the parsing itself.
type dedicatedGoroutine struct {
	runs     chan func()
	done     chan struct{}
	stopOnce sync.Once
}

func newDedicatedGoroutine() *dedicatedGoroutine {
	g := &dedicatedGoroutine{runs: make(chan func(), 1), done: make(chan struct{})}
	go g.loop()
	return g
}

func (g *dedicatedGoroutine) loop() {
	for {
		select {
		case run := <-g.runs:
			run()
		case <-g.done:
			return
		}
	}
}

// Schedule runs the mailbox on the goroutine; the mailbox schedules one run
// at a time. Once stopped, runs fall back to their own goroutine.
func (g *dedicatedGoroutine) Schedule(run func()) {
	select {
	case <-g.done:
		go run()
	case g.runs <- run:
	}
}

// Throughput is how many messages a run handles before yielding.
func (g *dedicatedGoroutine) Throughput() int { return 300 }

// stop ends the goroutine after the current run.
func (g *dedicatedGoroutine) stop() { g.stopOnce.Do(func() { close(g.done) }) }
