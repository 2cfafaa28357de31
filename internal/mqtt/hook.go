package mqtt

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"

	mochi "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
)

// hook applies Kuzzle's topic rules and forwards sessions and requests.
// It is the only authentication and ACL hook of the server: mochi ORs those
// across hooks, so no other may allow what this one refuses.
type hook struct {
	mochi.HookBase
	server   *Server
	sessions Sessions
	log      *slog.Logger
	// open maps each live mochi client to its session. A reconnecting
	// client is a new *mochi.Client, hence a new session.
	open sync.Map
}

// ID names the hook in mochi's logs.
func (h *hook) ID() string { return "starling-kuzzle-topics" }

// Provides lists the events the hook handles.
func (h *hook) Provides(b byte) bool {
	return bytes.Contains([]byte{
		mochi.OnConnectAuthenticate,
		mochi.OnACLCheck,
		mochi.OnSessionEstablished,
		mochi.OnDisconnect,
		mochi.OnPublish,
		mochi.OnSubscribed,
		mochi.OnUnsubscribed,
	}, []byte{b})
}

// OnConnectAuthenticate accepts every client: Kuzzle authenticates requests
// by their jwt, not MQTT connections.
func (h *hook) OnConnectAuthenticate(*mochi.Client, packets.Packet) bool { return true }

// OnACLCheck allows every publish (OnPublish decides) and refuses
// subscriptions to the request topic, with wildcards, or to a realtime
// channel the client was not given. It also runs for every recipient of
// every delivered message, so it stays O(1).
func (h *hook) OnACLCheck(cl *mochi.Client, topic string, write bool) bool {
	if write {
		return true
	}
	if !h.server.subscribable(topic) {
		return false
	}
	s, ok := h.open.Load(cl)
	return ok && s.(*openSession).session.MaySubscribe(topic)
}

// openSession pairs a session with its peer.
type openSession struct {
	session Session
	peer    *Peer
}

// OnSessionEstablished opens the client's session.
func (h *hook) OnSessionEstablished(cl *mochi.Client, _ packets.Packet) {
	peer := &Peer{client: cl, server: h.server}
	peer.out = &outbox{peer: peer, limit: h.server.maxPending}
	peer.sock, _ = cl.Net.Conn.(directConn)
	h.open.Store(cl, &openSession{session: h.sessions.Open(peer), peer: peer})
}

// OnDisconnect closes the client's session.
func (h *hook) OnDisconnect(cl *mochi.Client, err error, _ bool) {
	if s, ok := h.open.LoadAndDelete(cl); ok {
		s.(*openSession).peer.out.close()
		s.(*openSession).session.Closed()
	}
}

// OnSubscribed reports accepted subscriptions to the session.
func (h *hook) OnSubscribed(cl *mochi.Client, pk packets.Packet, codes []byte) {
	s, ok := h.open.Load(cl)
	if !ok {
		return
	}
	for i, sub := range pk.Filters {
		if i < len(codes) && codes[i] < 0x80 {
			s.(*openSession).session.Subscribed(sub.Filter)
		}
	}
}

// OnUnsubscribed reports removed subscriptions to the session.
func (h *hook) OnUnsubscribed(cl *mochi.Client, pk packets.Packet) {
	if s, ok := h.open.Load(cl); ok {
		for _, sub := range pk.Filters {
			s.(*openSession).session.Unsubscribed(sub.Filter)
		}
	}
}

// OnPublish routes requests, and refuses publishes the topic rules forbid by
// closing the publisher's connection.
func (h *hook) OnPublish(cl *mochi.Client, pk packets.Packet) (packets.Packet, error) {
	if cl.Net.Inline {
		return pk, nil
	}
	cfg := h.server.cfg
	switch {
	case pk.TopicName == cfg.RequestTopic:
		if s, ok := h.open.Load(cl); ok {
			s.(*openSession).session.Request(pk.Payload)
		}
		return pk, packets.CodeSuccessIgnore // acknowledged, never routed
	case !cfg.AllowPubSub, pk.TopicName == cfg.ResponseTopic, strings.ContainsAny(pk.TopicName, "#+"),
		h.sessions.Reserved(pk.TopicName):
		h.log.Info("forbidden publish: closing the connection", "client", cl.ID, "topic", pk.TopicName)
		_ = h.server.mochi.DisconnectClient(cl, packets.ErrNotAuthorized)
		return pk, packets.ErrRejectPacket
	}
	return pk, nil
}
