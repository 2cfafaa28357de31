package dispatcher

import "sync/atomic"

// Handoff lets the goroutine that sends a Dispatch run the request's
// action itself, sparing a hand-off to a worker (on a machine with idle
// CPUs, a wake-up of another thread, which costs more than a short action).
// The dispatcher hands the action back only when its controller declares
// it immediate (it never blocks and takes microseconds) and only when it
// gets to the request before the sender stops waiting for it, which the
// sender does as soon as its Send returns: in practice, when the
// dispatcher's mailbox ran on the sender's goroutine. Otherwise the action
// runs on a worker as usual. Either way it counts as running, as every
// action does.
type Handoff struct {
	state atomic.Int32 // handoffPending, then handoffReady or handoffDeclined
	job   job
	d     *dispatcher
}

const (
	handoffPending int32 = iota
	handoffReady
	handoffDeclined
)

// Run runs the action handed back, if the dispatcher handed it back by now;
// call it once, right after sending the Dispatch that carries h.
func (h *Handoff) Run() {
	if h.state.CompareAndSwap(handoffPending, handoffDeclined) {
		return // the dispatcher has not got to it: a worker will run it
	}
	h.d.run(h.job)
}

// handBack gives an immediate action to the sender of its request, if it
// still waits: it reports whether it did. Called from Receive.
func (d *dispatcher) handBack(h *Handoff, j job) bool {
	if h == nil {
		return false
	}
	h.job, h.d = j, d
	d.running++
	if h.state.CompareAndSwap(handoffPending, handoffReady) {
		d.counts.begin(j.req.Connection.Protocol)
		return true
	}
	d.running--
	h.job, h.d = job{}, nil
	return false
}
