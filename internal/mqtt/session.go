package mqtt

import (
	"bytes"
	"net"

	mochi "github.com/mochi-mqtt/server/v2"
)

// Sessions receives the life of MQTT sessions. Open is called once per
// established session, before any of its requests.
type Sessions interface {
	// Open starts a session for peer and returns its handle.
	Open(peer *Peer) Session
	// Reserved reports whether clients may not publish on topic (the
	// realtime channels); it must be cheap.
	Reserved(topic string) bool
}

// Session is one client's session as the rest of the server sees it. Its
// methods are called from the client's read goroutine and must not block.
type Session interface {
	// Request hands over a payload published on the request topic. The
	// payload is the session's to keep.
	Request(payload []byte)
	// Closed reports that the client is gone. No Request follows.
	Closed()
	// MaySubscribe reports whether the client may subscribe to topic. It is
	// also asked for every message mochi routes to the client, so it must
	// be O(1) and not block.
	MaySubscribe(topic string) bool
	// Subscribed reports an accepted subscription to topic.
	Subscribed(topic string)
	// Unsubscribed reports that the client unsubscribed from topic.
	Unsubscribed(topic string)
}

// Peer is one connected MQTT client. Its methods are safe for concurrent use.
type Peer struct {
	client *mochi.Client
	server *Server
	out    *outbox
	sock   directConn // the socket, for non-blocking writes; nil if none
}

// directConn is a client connection the outbox writes to itself: a
// sockConn.
type directConn interface {
	// tryWrite writes what the socket takes without waiting.
	tryWrite(b []byte) (int, error)
	// writeBuffers writes every buffer, waiting while the socket is full.
	writeBuffers(bufs *net.Buffers) (int64, error)
}

// ID returns the client identifier of the MQTT session.
func (p *Peer) ID() string { return p.client.ID }

// Remote returns the client's network address.
func (p *Peer) Remote() string { return p.client.Net.Remote }

// ProtocolVersion returns 3, 4 (MQTT 3.1.1) or 5.
func (p *Peer) ProtocolVersion() byte { return p.client.Properties.ProtocolVersion }

// Respond delivers a response payload on the response topic: to this client
// only, or in development mode to every subscriber of the response topic.
// It never blocks: responses share the client's bounded queue with its
// notifications. It keeps a copy of payload, not payload itself.
func (p *Peer) Respond(payload []byte) error {
	if p.server.broadcastResponses {
		return p.server.mochi.Publish(p.server.cfg.ResponseTopic, bytes.Clone(payload), false, 0)
	}
	buf := p.server.packets.Get().(*[]byte)
	packet := AppendPublish((*buf)[:0], p.server.cfg.ResponseTopic, payload, p.ProtocolVersion())
	delivered := p.out.deliver(packet)
	if cap(packet) <= maxPooledPacket {
		*buf = packet[:0]
		p.server.packets.Put(buf)
	}
	if !delivered {
		return ErrClientGone
	}
	return nil
}

// Deliver queues one packet made by EncodePublish for this client's
// protocol version, without blocking; packet is the caller's again when
// Deliver returns. It returns false when the client is gone, or when its
// queue was full: a client that cannot keep up with its notifications is
// disconnected.
func (p *Peer) Deliver(packet []byte) bool {
	return p.out.deliver(packet)
}

// Closed reports whether the client's connection is closed.
func (p *Peer) Closed() bool { return p.client.Closed() }
