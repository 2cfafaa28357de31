// Package pool provides Pool, the goroutines that the mailboxes of the many
// small actors (connections, channels) run on.
//
// protoactor's default dispatcher starts a goroutine for every burst of
// messages; each starts with a small stack that JSON encoding and socket
// writes grow again every time. A pool keeps a few long-lived goroutines
// whose stacks stay grown. Actors running on it must not block: their
// socket writes never wait (see internal/mqtt's outbox).
//
// pool imports protoactor only.
package pool

import "sync"

// Pool is a protoactor Dispatcher backed by long-lived goroutines. Schedule
// never blocks: when every goroutine is busy and the queue is full, the run
// gets a goroutine of its own.
type Pool struct {
	runs     chan func()
	done     chan struct{}
	stopOnce sync.Once
}

// New starts a pool of workers goroutines with a queue of queue runs.
func New(workers, queue int) *Pool {
	p := &Pool{runs: make(chan func(), queue), done: make(chan struct{})}
	for range workers {
		go p.work()
	}
	return p
}

func (p *Pool) work() {
	for {
		select {
		case run := <-p.runs:
			run()
		case <-p.done:
			return
		}
	}
}

// Schedule runs a mailbox on the pool.
func (p *Pool) Schedule(run func()) {
	select {
	case <-p.done:
		go run()
	case p.runs <- run:
	default:
		go run()
	}
}

// Throughput is how many messages a mailbox handles before yielding.
func (p *Pool) Throughput() int { return 300 }

// Stop ends the goroutines once the runs in progress are done; later runs
// get goroutines of their own.
func (p *Pool) Stop() { p.stopOnce.Do(func() { close(p.done) }) }
