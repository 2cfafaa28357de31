package realtime

import (
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/starlingmq/starling/actors/realtime/roommsg"
)

// TestShipperBoundsWhatANodeHolds ships to a node that never acknowledges:
// maxInFlight batches leave, maxQueuedBytes wait, the rest is dropped and
// counted.
func TestShipperBoundsWhatANodeHolds(t *testing.T) {
	system := actor.NewActorSystem()
	rt := &Realtime{system: system}
	pid := system.Root.Spawn(newShipper(rt, "127.0.0.1:1")) // nobody there: no acknowledgement ever
	defer system.Root.Stop(pid)
	payload := make([]byte, 1<<20)
	const sent = 100
	for range sent {
		system.Root.Send(pid, &roommsg.Deliver{Rooms: []string{"r"}, Scope: "in", Payload: payload})
	}
	queued := maxQueuedBytes / (len(payload) + deliverOverhead)
	want := uint64(sent - maxInFlight - queued)
	deadline := time.Now().Add(10 * time.Second)
	for rt.dropped.Load() != want || rt.batches.Load() != maxInFlight {
		if time.Now().After(deadline) {
			t.Fatalf("dropped %d, batches %d: want %d and %d", rt.dropped.Load(), rt.batches.Load(), want, maxInFlight)
		}
		time.Sleep(5 * time.Millisecond)
	}
	// An acknowledgement lets one more batch leave, with what waits.
	system.Root.Send(pid, &roommsg.Ack{Seq: 0})
	for rt.batches.Load() != maxInFlight+1 {
		if time.Now().After(deadline) {
			t.Fatalf("batches %d after an acknowledgement", rt.batches.Load())
		}
		time.Sleep(5 * time.Millisecond)
	}
}
