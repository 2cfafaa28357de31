package connection

import (
	"log/slog"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/starlingmq/starling/actors/channel"
	"github.com/starlingmq/starling/actors/dispatcher"
	"github.com/starlingmq/starling/internal/api"
	"github.com/starlingmq/starling/internal/mqtt"
)

// ensureTimeout bounds a subscription's wait for its channel's actor.
const ensureTimeout = 5 * time.Second

// Channels tells which topics are live realtime channels.
type Channels interface {
	// IsChannel reports whether topic is a live channel's name; it must be
	// cheap and safe for concurrent use.
	IsChannel(topic string) bool
}

// Config configures Sessions.
type Config struct {
	// Root spawns the connection actors.
	Root *actor.RootContext
	// Registry watches them.
	Registry *actor.PID
	// Dispatcher receives the requests.
	Dispatcher *actor.PID
	// Rooms is the realtime rooms actor, told when a connection ends; nil
	// without realtime.
	Rooms *actor.PID
	// Channels tells channel topics apart; nil without realtime.
	Channels Channels
	// Mailboxes runs the connection actors; protoactor's default when nil.
	Mailboxes actor.Dispatcher
	// DisconnectDelay is how long a connection outlives its client.
	DisconnectDelay time.Duration
	// Logger receives the connections' logs.
	Logger *slog.Logger
}

// Sessions turns MQTT sessions into connection actors. It implements
// mqtt.Sessions and is safe for concurrent use.
type Sessions struct {
	cfg Config
}

// NewSessions returns the session adapter.
func NewSessions(cfg Config) *Sessions {
	return &Sessions{cfg: cfg}
}

// Reserved reports whether topic is a realtime channel, on which clients may
// not publish.
func (s *Sessions) Reserved(topic string) bool {
	return s.cfg.Channels != nil && s.cfg.Channels.IsChannel(topic)
}

// Open spawns the connection actor of a new MQTT session.
func (s *Sessions) Open(peer *mqtt.Peer) mqtt.Session {
	id := api.NewID()
	sess := &session{sessions: s, peer: peer, conn: api.Connection{ID: id, Protocol: "mqtt"}}
	props := actor.PropsFromProducer(func() actor.Actor {
		return &connection{
			id: id, session: sess, rooms: s.cfg.Rooms, delay: s.cfg.DisconnectDelay, log: s.cfg.Logger,
			grants: map[string]*grant{}, roomIDs: map[string][]string{},
		}
	})
	if s.cfg.Mailboxes != nil {
		props = props.Configure(actor.WithDispatcher(s.cfg.Mailboxes))
	}
	pid, err := s.cfg.Root.SpawnNamed(props, pidName(id))
	if err != nil { // ids are random UUIDs: a clash is a bug
		s.cfg.Logger.Error("cannot spawn connection actor", "connection", id, "error", err)
		pid = s.cfg.Root.Spawn(props)
	}
	sess.pid = pid
	s.cfg.Root.Send(s.cfg.Registry, track{pid: pid})
	s.cfg.Logger.Debug("connection opened", "connection", id, "client", peer.ID(), "remote", peer.Remote())
	return sess
}

// session is one client's handle, called from its MQTT read goroutine.
type session struct {
	sessions *Sessions
	pid      *actor.PID
	peer     *mqtt.Peer
	conn     api.Connection
	// grants mirrors the connection actor's channels (name → room id) for
	// the MQTT side's checks; only the connection actor writes it.
	grants sync.Map
}

// MaySubscribe refuses a live channel's topic unless the connection obtained
// that channel.
func (s *session) MaySubscribe(topic string) bool {
	if !s.sessions.Reserved(topic) {
		return true
	}
	_, ok := s.grants.Load(topic)
	return ok
}

// Subscribed adds the client to a granted channel's subscribers. It runs
// before mochi sends the SUBACK and waits for the channel's actor (spawned
// at its first subscriber), then posts straight to it: any notification the
// client's later requests cause is queued after the subscription.
func (s *session) Subscribed(topic string) {
	roomID, ok := s.grants.Load(topic)
	if !ok || s.sessions.cfg.Rooms == nil {
		return
	}
	root := s.sessions.cfg.Root
	answer, err := root.RequestFuture(s.sessions.cfg.Rooms,
		EnsureChannel{RoomID: roomID.(string), Channel: topic}, ensureTimeout).Result()
	pid, _ := answer.(*actor.PID)
	if err != nil || pid == nil {
		return // the room is gone: nothing to deliver
	}
	root.Send(pid, channel.AddSubscriber{ConnectionID: s.conn.ID, Subscriber: s.peer})
	root.Send(s.pid, topicSubscribed{topic: topic, pid: pid})
}

// Unsubscribed tells the connection actor its client left a channel.
func (s *session) Unsubscribed(topic string) {
	if _, ok := s.grants.Load(topic); ok {
		s.sessions.cfg.Root.Send(s.pid, topicUnsubscribed{topic: topic})
	}
}

// Request forwards a request payload to the dispatcher, whose workers answer
// straight to the client's queue.
func (s *session) Request(payload []byte) {
	s.sessions.cfg.Root.Send(s.sessions.cfg.Dispatcher, dispatcher.Dispatch{
		Payload:    payload,
		Connection: s.conn,
		Responder:  s.peer,
	})
}

// Closed starts the connection's disconnect delay.
func (s *session) Closed() {
	s.sessions.cfg.Root.Send(s.pid, Disconnected{})
}
