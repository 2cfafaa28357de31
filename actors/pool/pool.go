// Package pool provides Pool, the one mailbox scheduler of the actor graph:
// the goroutines that the mailboxes of the many small actors (connections,
// channels) share, and the dispatcher's goroutine of its own (a pool of one).
//
// protoactor's default dispatcher starts a goroutine for every burst of
// messages; each starts with a small stack that JSON parsing, encoding and
// socket writes grow again every time. A pool keeps long-lived goroutines
// whose stacks stay grown. Actors running on it must not block: their
// socket writes never wait (see internal/mqtt's outbox).
//
// pool imports nothing but the standard library: a Pool is a protoactor
// Dispatcher by its methods alone.
package pool

import "sync"

// Pool is a protoactor Dispatcher backed by long-lived goroutines, safe for
// concurrent use. Schedule never blocks: when every goroutine is busy and the
// queue is full, the run gets a goroutine of its own, and so does every run
// scheduled after Stop.
type Pool struct {
	runs    chan func()
	mu      sync.RWMutex // Schedule reads stopped and sends; Stop closes runs
	stopped bool
}

// New starts a pool of workers goroutines with a queue of queue runs.
func New(workers, queue int) *Pool {
	p := &Pool{runs: make(chan func(), queue)}
	for range workers {
		go p.work()
	}
	return p
}

// work runs what is scheduled until the pool stops and its queue is empty.
func (p *Pool) work() {
	for run := range p.runs {
		run()
	}
}

// Schedule runs a mailbox on the pool.
func (p *Pool) Schedule(run func()) {
	p.mu.RLock()
	if !p.stopped {
		select {
		case p.runs <- run:
			p.mu.RUnlock()
			return
		default: // every worker busy and the queue full
		}
	}
	p.mu.RUnlock()
	go run()
}

// Throughput is how many messages a mailbox handles before yielding.
func (p *Pool) Throughput() int { return 300 }

// Stop ends the goroutines once the runs queued or in progress are done;
// later runs get goroutines of their own.
func (p *Pool) Stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.stopped {
		p.stopped = true
		close(p.runs)
	}
}
