package connection

import (
	"github.com/asynkron/protoactor-go/actor"

	"github.com/starlingmq/starling/actors/dispatcher"
	"github.com/starlingmq/starling/internal/api"
	"github.com/starlingmq/starling/internal/httpws"
)

// HTTP implements httpws.Handler: one HTTP request, on a connection id of
// its own that no actor holds, goes to the dispatcher; its answer goes to
// reply.
func (s *Sessions) HTTP(payload []byte, conn api.Connection, reply httpws.Responder) {
	s.dispatch(payload, conn, reply)
}

// OpenWebSocket implements httpws.Handler: it spawns the connection actor
// of a newly upgraded WebSocket client, which leaves its rooms as soon as
// the client goes (Kuzzle has no disconnect delay for WebSocket).
func (s *Sessions) OpenWebSocket(client *httpws.Client) httpws.Session {
	id := api.NewID()
	pid := s.spawn(id, client, true, 0)
	s.cfg.Logger.Debug("WebSocket connection opened", "connection", id, "remote", client.Remote())
	return &wsSession{sessions: s, pid: pid, conn: api.Connection{ID: id, Protocol: "websocket"}}
}

// dispatch sends one request to the dispatcher, running an immediate
// action on the caller's goroutine (see dispatcher.Handoff).
func (s *Sessions) dispatch(payload []byte, conn api.Connection, reply dispatcher.Responder) {
	h := &dispatcher.Handoff{}
	s.cfg.Root.Send(s.cfg.Dispatcher, dispatcher.Dispatch{
		Payload:    payload,
		Connection: conn,
		Responder:  reply,
		Handoff:    h,
	})
	h.Run()
}

// wsSession is a WebSocket client's handle, called from its read
// goroutine; the connection actor owns the state.
type wsSession struct {
	sessions *Sessions
	pid      *actor.PID
	conn     api.Connection
}

// Request forwards one frame to the dispatcher; the answer goes to reply.
func (w *wsSession) Request(payload []byte, reply httpws.Responder) {
	w.sessions.dispatch(payload, w.conn, reply)
}

// Closed ends the connection.
func (w *wsSession) Closed() {
	w.sessions.cfg.Root.Send(w.pid, Disconnected{})
}
