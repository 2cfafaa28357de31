package channel

import (
	"github.com/asynkron/protoactor-go/actor"

	"github.com/starlingmq/starling/internal/jsonx"
)

// Subscriber is a client as a channel sees it.
type Subscriber interface {
	// Deliver queues one encoded packet without blocking; false when the
	// client is gone. It must not keep packet, which the channel reuses.
	Deliver(packet []byte) bool
	// ProtocolVersion is 3, 4 (MQTT 3.1.1) or 5 for an MQTT client, RawJSON
	// for a client that takes JSON messages (WebSocket).
	ProtocolVersion() byte
}

// Counter counts what channels do with notifications (metrics). Every
// channel shares it: it must be safe for concurrent use and cheap. It is
// called once per notification, not once per subscriber.
type Counter interface {
	// Delivered counts packets handed to subscribers' queues.
	Delivered(n int)
	// Dropped counts packets not delivered because their subscriber was
	// gone or had just been disconnected for falling behind.
	Dropped(n int)
}

// RawJSON is the ProtocolVersion of a subscriber that gets each
// notification as its JSON with a "room" key naming the channel, as
// Kuzzle's WebSocket protocol sends it, instead of an MQTT packet.
const RawJSON byte = 0

// AppendRoom appends to dst the JSON object payload with a last key
// "room": room, as Kuzzle adds it to what a WebSocket client receives.
func AppendRoom(dst, payload []byte, room string) []byte {
	end := len(payload) - 1
	for end > 0 && payload[end] != '}' {
		end--
	}
	dst = append(dst, payload[:end]...)
	if end > 1 {
		dst = append(dst, ',')
	}
	dst = append(dst, `"room":`...)
	dst = jsonx.AppendString(dst, room)
	return append(dst, '}')
}

// Encoder appends to dst a PUBLISH packet of a notification payload on
// topic, for a protocol version.
type Encoder func(dst []byte, topic string, payload []byte, version byte) []byte

// AddSubscriber makes a connection's MQTT client receive the channel's
// notifications.
type AddSubscriber struct {
	// ConnectionID identifies the connection.
	ConnectionID string
	// Subscriber receives the packets.
	Subscriber Subscriber
}

// RemoveSubscriber stops a connection's deliveries.
type RemoveSubscriber struct {
	// ConnectionID identifies the connection.
	ConnectionID string
}

// Notify delivers one notification to every subscriber.
type Notify struct {
	// Payload is the notification JSON, shared by every channel it goes to.
	Payload []byte
}

// Subscribers asks how many clients the channel delivers to; the answer is
// an int.
type Subscribers struct{}

// channel is the actor; see the package documentation.
type channel struct {
	name        string
	encode      Encoder
	counter     Counter // nil: nothing counted
	subscribers map[string]Subscriber
	packets     [6][]byte // by protocol version: reused from one notification to the next
}

// maxKeptPacket is the largest packet buffer a channel keeps for the next
// notification.
const maxKeptPacket = 16 << 10

// Props returns the props of the channel actor for the channel name, whose
// MQTT topic is that name; its mailbox runs on mailboxes (protoactor's
// default when nil); counter, when not nil, counts its notifications.
func Props(name string, encode Encoder, mailboxes actor.Dispatcher, counter Counter) *actor.Props {
	props := actor.PropsFromProducer(func() actor.Actor {
		return &channel{name: name, encode: encode, counter: counter, subscribers: map[string]Subscriber{}}
	})
	if mailboxes != nil {
		props = props.Configure(actor.WithDispatcher(mailboxes))
	}
	return props
}

// Receive handles the channel's messages.
func (c *channel) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case AddSubscriber:
		c.subscribers[msg.ConnectionID] = msg.Subscriber
	case RemoveSubscriber:
		delete(c.subscribers, msg.ConnectionID)
	case Notify:
		c.fanOut(msg.Payload)
	case Subscribers:
		ctx.Respond(len(c.subscribers))
	}
}

// fanOut encodes the notification once per protocol version in use and
// hands it to every subscriber.
func (c *channel) fanOut(payload []byte) {
	var encoded [len(c.packets)]bool
	delivered, dropped := 0, 0
	for id, s := range c.subscribers {
		v := s.ProtocolVersion()
		if int(v) >= len(c.packets) {
			continue
		}
		if !encoded[v] && v == RawJSON {
			c.packets[v] = AppendRoom(c.packets[v][:0], payload, c.name)
			encoded[v] = true
		} else if !encoded[v] {
			c.packets[v] = c.encode(c.packets[v][:0], c.name, payload, v)
			encoded[v] = true
		}
		if s.Deliver(c.packets[v]) {
			delivered++
		} else {
			dropped++
			delete(c.subscribers, id)
		}
	}
	if c.counter != nil {
		c.counter.Delivered(delivered)
		c.counter.Dropped(dropped)
	}
	for v := range c.packets {
		if cap(c.packets[v]) > maxKeptPacket {
			c.packets[v] = nil
		}
	}
}
