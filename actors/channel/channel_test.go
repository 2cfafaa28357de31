package channel_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/starlingmq/starling/actors/channel"
)

// subscriber is a client that is live or gone.
type subscriber struct {
	live    bool
	packets atomic.Int64
}

func (s *subscriber) Deliver([]byte) bool {
	s.packets.Add(1)
	return s.live
}
func (s *subscriber) ProtocolVersion() byte { return 4 }

// counter adds up what a channel reports.
type counter struct{ delivered, dropped atomic.Int64 }

func (c *counter) Delivered(n int) { c.delivered.Add(int64(n)) }
func (c *counter) Dropped(n int)   { c.dropped.Add(int64(n)) }

// TestCounterSeesDeliveriesAndDrops notifies a channel with a live and a
// gone subscriber twice: the gone one is dropped once, then forgotten.
func TestCounterSeesDeliveriesAndDrops(t *testing.T) {
	system := actor.NewActorSystem()
	t.Cleanup(system.Shutdown)
	c := &counter{}
	encode := func(dst []byte, topic string, payload []byte, _ byte) []byte { return append(dst, payload...) }
	pid := system.Root.Spawn(channel.Props("room-1", encode, nil, c))
	live, gone := &subscriber{live: true}, &subscriber{}
	system.Root.Send(pid, channel.AddSubscriber{ConnectionID: "a", Subscriber: live})
	system.Root.Send(pid, channel.AddSubscriber{ConnectionID: "b", Subscriber: gone})
	system.Root.Send(pid, channel.Notify{Payload: []byte(`{}`)})
	system.Root.Send(pid, channel.Notify{Payload: []byte(`{}`)})
	// The mailbox is ordered: the answer comes after both fan-outs.
	n, err := system.Root.RequestFuture(pid, channel.Subscribers{}, 10*time.Second).Result()
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 || live.packets.Load() != 2 || gone.packets.Load() != 1 {
		t.Fatalf("subscribers %v, packets live %d gone %d; want 1, 2, 1", n, live.packets.Load(), gone.packets.Load())
	}
	if c.delivered.Load() != 2 || c.dropped.Load() != 1 {
		t.Fatalf("counted %d delivered, %d dropped; want 2 and 1", c.delivered.Load(), c.dropped.Load())
	}
}
