package connection

import (
	"log/slog"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/starlingmq/starling/actors/dispatcher"
	"github.com/starlingmq/starling/internal/api"
	"github.com/starlingmq/starling/internal/mqtt"
)

// Sessions turns MQTT sessions into connection actors. It implements
// mqtt.Sessions and is safe for concurrent use.
type Sessions struct {
	root       *actor.RootContext
	registry   *actor.PID
	dispatcher *actor.PID
	delay      time.Duration
	log        *slog.Logger
}

// NewSessions returns the session adapter: connection actors are spawned
// from root, watched by registry, and send requests to dispatcher.
func NewSessions(root *actor.RootContext, registry, dispatcher *actor.PID, delay time.Duration, log *slog.Logger) *Sessions {
	return &Sessions{root: root, registry: registry, dispatcher: dispatcher, delay: delay, log: log}
}

// Open spawns the connection actor of a new MQTT session.
func (s *Sessions) Open(peer *mqtt.Peer) mqtt.Session {
	id := api.NewID()
	props := actor.PropsFromProducer(func() actor.Actor {
		return &connection{id: id, peer: peer, delay: s.delay, log: s.log}
	})
	pid := s.root.Spawn(props)
	s.root.Send(s.registry, track{pid: pid})
	s.log.Debug("connection opened", "connection", id, "client", peer.ID(), "remote", peer.Remote())
	return &session{
		sessions: s,
		pid:      pid,
		conn:     api.Connection{ID: id, Protocol: "mqtt"},
	}
}

// session is one client's handle, called from its MQTT read goroutine.
type session struct {
	sessions *Sessions
	pid      *actor.PID
	conn     api.Connection
}

// Request forwards a request payload to the dispatcher, answers to the
// connection actor.
func (s *session) Request(payload []byte) {
	s.sessions.root.Send(s.sessions.dispatcher, dispatcher.Dispatch{
		Payload:    payload,
		Connection: s.conn,
		ReplyTo:    s.pid,
	})
}

// Closed starts the connection's disconnect delay.
func (s *session) Closed() {
	s.sessions.root.Send(s.pid, Disconnected{})
}
