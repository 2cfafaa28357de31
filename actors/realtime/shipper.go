package realtime

import (
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/starlingmq/starling/actors/realtime/roommsg"
)

// Bounds of what one node holds for another: the notifications waiting to
// be shipped (bytes), the batches sent and not yet acknowledged (few:
// under load, notifications travel together, a system call per batch),
// and the size of one batch. Past maxQueuedBytes a notification is
// dropped and counted, as a slow client's are.
const (
	maxQueuedBytes  = 64 << 20
	maxInFlight     = 4
	maxBatchBytes   = 256 << 10
	ackTimeout      = 5 * time.Second
	deliverOverhead = 64 // bytes counted per notification beside its payload
)

// shipper is the actor that ships this node's notifications to one other
// node, in order: it batches what arrives while maxInFlight batches wait
// for their acknowledgement, so that a slow or unreachable node makes
// this one hold at most maxQueuedBytes for it.
type shipper struct {
	rt     *Realtime
	target *actor.PID // the other node's deliver actor
	queue  []*roommsg.Deliver
	queued int
	// inFlight are the batches sent and not acknowledged, oldest the time
	// the oldest of them left; an acknowledgement lost with a connection
	// is given up on after ackTimeout.
	inFlight int
	oldest   time.Time
	seq      uint64
}

// newShipper returns the props of the shipper to the node at address.
func newShipper(rt *Realtime, address string) *actor.Props {
	return actor.PropsFromProducer(func() actor.Actor {
		return &shipper{rt: rt, target: actor.NewPID(address, deliverName)}
	})
}

// Receive queues notifications and ships them as acknowledgements allow.
func (s *shipper) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case *roommsg.Deliver:
		size := len(msg.Payload) + deliverOverhead
		if s.queued+size > maxQueuedBytes {
			s.rt.dropped.Add(1)
			return
		}
		s.queue = append(s.queue, msg)
		s.queued += size
	case *roommsg.Ack:
		if s.inFlight > 0 {
			s.inFlight--
			s.oldest = time.Now()
		}
	default:
		return
	}
	s.flush(ctx)
}

// flush sends batches while fewer than maxInFlight wait.
func (s *shipper) flush(ctx actor.Context) {
	if s.inFlight >= maxInFlight && time.Since(s.oldest) > ackTimeout {
		s.inFlight = 0 // acknowledgements lost with a broken connection
	}
	for len(s.queue) > 0 && s.inFlight < maxInFlight {
		batch := &roommsg.Batch{Seq: s.seq}
		size := 0
		n := 0
		for n < len(s.queue) && (n == 0 || size+len(s.queue[n].Payload) <= maxBatchBytes) {
			size += len(s.queue[n].Payload)
			n++
		}
		batch.Items = s.queue[:n:n]
		for _, d := range batch.Items {
			s.queued -= len(d.Payload) + deliverOverhead
		}
		s.queue = s.queue[n:]
		if len(s.queue) == 0 {
			s.queue = nil
		}
		if s.inFlight == 0 {
			s.oldest = time.Now()
		}
		s.inFlight++
		s.seq++
		s.rt.batches.Add(1)
		ctx.RequestWithCustomSender(s.target, batch, ctx.Self())
	}
}
