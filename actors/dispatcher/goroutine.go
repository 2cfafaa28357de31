package dispatcher

import "sync"

// dedicatedGoroutine is a protoactor Dispatcher that runs its actor's mailbox
// on one long-lived goroutine instead of a fresh goroutine per burst of
// messages. Parsing JSON needs a deep stack; a fresh goroutine would grow and
// copy its stack on every burst, which cost more than the parsing itself.
type dedicatedGoroutine struct {
	runs    chan func()
	mu      sync.RWMutex // Schedule reads stopped and sends; stop closes runs
	stopped bool
}

func newDedicatedGoroutine() *dedicatedGoroutine {
	g := &dedicatedGoroutine{runs: make(chan func(), 1)}
	go g.loop()
	return g
}

func (g *dedicatedGoroutine) loop() {
	for run := range g.runs {
		run()
	}
}

// Schedule runs the mailbox on the goroutine; the mailbox schedules one run
// at a time, so the send never waits long. Once stopped, runs get a
// goroutine of their own.
func (g *dedicatedGoroutine) Schedule(run func()) {
	g.mu.RLock()
	if !g.stopped {
		g.runs <- run
		g.mu.RUnlock()
		return
	}
	g.mu.RUnlock()
	go run()
}

// Throughput is how many messages a mailbox handles before yielding.
func (g *dedicatedGoroutine) Throughput() int { return 300 }

// stop ends the goroutine once the queued run is done.
func (g *dedicatedGoroutine) stop() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.stopped {
		g.stopped = true
		close(g.runs)
	}
}
