package connection

import (
	"log/slog"
	"strings"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/starlingmq/starling/actors/channel"
	"github.com/starlingmq/starling/actors/dispatcher"
	"github.com/starlingmq/starling/internal/api"
	"github.com/starlingmq/starling/internal/mqtt"
)

// ensureTimeout bounds a subscription's wait for the connection actor and
// its channel's actor.
const ensureTimeout = 5 * time.Second

// protocol is the name of the connections this package opens, as Kuzzle
// names it in request contexts and notifications.
const protocol = "mqtt"

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
	// Registry knows the live ones.
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
	// Authenticate checks CONNECT credentials and returns the token the
	// connection's requests run with ("" for anonymous), or
	// mqtt.ErrBadCredentials / mqtt.ErrNotAuthorized; nil accepts every
	// client as anonymous.
	Authenticate func(username string, password []byte, hasUsername bool) (string, error)
}

// Sessions turns MQTT clients into connection actors. It implements
// mqtt.Handler and is safe for concurrent use.
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

// Authenticate implements mqtt.Authenticator with Config.Authenticate.
func (s *Sessions) Authenticate(username string, password []byte, hasUsername bool) (string, error) {
	if s.cfg.Authenticate == nil {
		return "", nil
	}
	return s.cfg.Authenticate(username, password, hasUsername)
}

// Open spawns the connection actor of a newly connected MQTT client.
func (s *Sessions) Open(client *mqtt.Conn) mqtt.Session {
	id := api.NewID()
	pid := s.spawn(id, client, false, s.cfg.DisconnectDelay)
	s.cfg.Logger.Debug("connection opened", "connection", id, "client", client.ID(), "remote", client.Remote())
	return &session{sessions: s, pid: pid, conn: api.Connection{ID: id, Protocol: "mqtt", Token: client.Identity()}}
}

// spawn starts and registers the connection actor of a client; a JSON
// client is a WebSocket one.
func (s *Sessions) spawn(id string, client channel.Subscriber, json bool, delay time.Duration) *actor.PID {
	protocol := "mqtt"
	if json {
		protocol = "websocket"
	}
	props := actor.PropsFromProducer(func() actor.Actor {
		return &connection{
			id: id, protocol: protocol, client: client, json: json, rooms: s.cfg.Rooms, registry: s.cfg.Registry, delay: delay, log: s.cfg.Logger,
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
	s.cfg.Root.Send(s.cfg.Registry, track{pid: pid, protocol: protocol})
	return pid
}

// session is one client's handle, called from its MQTT read goroutine. It
// holds no state of its own: the connection actor owns it.
type session struct {
	sessions *Sessions
	pid      *actor.PID
	conn     api.Connection
}

// Subscribe asks the connection actor whether its client may subscribe to
// a channel's topic; the actor makes it a subscriber of the channel before
// it says yes, so that any notification the client's later requests cause
// is delivered after the SUBACK.
//
// A client that did not join the channel's room itself (mosquitto_sub, say)
// may still subscribe when its user may: the session joins the room for it
// first, through the dispatcher, with the connection's rights, as
// realtime:join would.
func (s *session) Subscribe(topic string) bool {
	if s.subscribe(topic) {
		return true
	}
	return s.joinChannel(topic) && s.subscribe(topic)
}

// subscribe asks the connection actor.
func (s *session) subscribe(topic string) bool {
	answer, err := s.sessions.cfg.Root.RequestFuture(s.pid, subscribe{topic: topic}, ensureTimeout).Result()
	ok, _ := answer.(bool)
	return err == nil && ok
}

// joinChannel runs realtime:join for the room and options a channel's name
// stands for; the realtime controller grants the channel to the connection
// before it answers. It reports whether the join was sent.
func (s *session) joinChannel(topic string) bool {
	roomID, scope, users, ok := parseChannel(topic)
	if !ok || !s.sessions.Reserved(topic) {
		return false
	}
	payload := `{"controller":"realtime","action":"join","requestId":"mqtt-subscribe","scope":"` + scope +
		`","users":"` + users + `","body":{"roomId":"` + roomID + `"}}`
	_, err := s.sessions.cfg.Root.RequestFuture(s.sessions.cfg.Dispatcher, dispatcher.Dispatch{
		Payload: []byte(payload), Connection: s.conn,
	}, ensureTimeout).Result()
	return err == nil
}

// parseChannel reads a channel's name, "<roomId>-<users>1<scope>" as
// Kuzzle names it, back into its room and options; roomId must be made of
// letters, digits, '-' and '_'.
func parseChannel(topic string) (roomID, scope, users string, ok bool) {
	dash := strings.LastIndexByte(topic, '-')
	if dash <= 0 || len(topic)-dash != 4 || topic[dash+2] != '1' {
		return "", "", "", false
	}
	roomID = topic[:dash]
	for _, r := range roomID {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return "", "", "", false
		}
	}
	users = map[byte]string{'1': "all", '2': "in", '3': "none"}[topic[dash+1]]
	scope = map[byte]string{'1': "all", '2': "in", '3': "out"}[topic[dash+3]]
	return roomID, scope, users, users != "" && scope != ""
}

// Unsubscribe tells the connection actor its client left a topic.
func (s *session) Unsubscribe(topic string) {
	s.sessions.cfg.Root.Send(s.pid, unsubscribe{topic: topic})
}

// Request forwards a request payload to the dispatcher, whose workers
// answer straight to the client through reply; an immediate action (see
// dispatcher.Handoff) runs here, on the client's read goroutine.
func (s *session) Request(payload []byte, reply *mqtt.Reply) {
	h := &dispatcher.Handoff{}
	s.sessions.cfg.Root.Send(s.sessions.cfg.Dispatcher, dispatcher.Dispatch{
		Payload:    payload,
		Connection: s.conn,
		Responder:  reply,
		Handoff:    h,
	})
	h.Run()
}

// Closed starts the connection's disconnect delay.
func (s *session) Closed() {
	s.sessions.cfg.Root.Send(s.pid, Disconnected{})
}
