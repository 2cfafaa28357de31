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
// A Pool may also run a mailbox on the goroutine that posted to it
// (Inline): a message to an idle actor is then handled at once by its
// sender, as a function call, instead of waking a pool goroutine — on a
// machine with idle CPUs, each such wake-up also wakes a thread on another
// CPU, which costs more than most messages' work. The mailbox still runs
// one message at a time, so the actor's state keeps one owner; only the
// goroutine lending its time changes. Inline runs nest (an actor running
// inline sends to another idle one), so their number is bounded: past it,
// runs go to the pool's goroutines.
//
// pool imports nothing but the standard library: a Pool is a protoactor
// Dispatcher by its methods alone.
package pool

import (
	"sync"
	"sync/atomic"
)

// Pool is a protoactor Dispatcher backed by long-lived goroutines, safe for
// concurrent use. Schedule never blocks: when every goroutine is busy and the
// queue is full, the run gets a goroutine of its own, and so does every run
// scheduled after Stop.
type Pool struct {
	runs    chan func()
	mu      sync.RWMutex // Schedule reads stopped and sends; Stop closes runs
	stopped bool
	// inline counts the runs in progress on their senders' goroutines;
	// maxInline bounds them (0: none).
	inline    atomic.Int32
	maxInline int32
}

// Option configures a Pool.
type Option func(*Pool)

// Inline lets up to n mailbox runs at a time happen on the goroutines that
// schedule them (see the package documentation). Only actors whose
// messages are all short and never block may run on such a pool: their
// sender waits for them.
func Inline(n int) Option {
	return func(p *Pool) { p.maxInline = int32(n) }
}

// New starts a pool of workers goroutines with a queue of queue runs.
func New(workers, queue int, opts ...Option) *Pool {
	p := &Pool{runs: make(chan func(), queue)}
	for _, opt := range opts {
		opt(p)
	}
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

// Schedule runs a mailbox: on the calling goroutine when the pool allows
// inline runs and has room for one more, else on the pool.
func (p *Pool) Schedule(run func()) {
	if p.maxInline > 0 {
		if p.inline.Add(1) <= p.maxInline {
			run()
			p.inline.Add(-1)
			return
		}
		p.inline.Add(-1)
	}
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
