package connection

import (
	"log/slog"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/scheduler"

	"github.com/starlingmq/starling/actors/dispatcher"
)

// Peer is the client side of a connection.
type Peer interface {
	// Respond delivers a response payload to the client.
	Respond(payload []byte) error
}

// Disconnected tells a connection actor that its client is gone.
type Disconnected struct{}

// Flush asks a connection actor to answer Flushed once every message sent
// to it before has been handled (responses written included).
type Flush struct{}

// Flushed answers Flush.
type Flushed struct{}

// expired fires disconnectDelay after Disconnected.
type expired struct{}

// connection is the actor; see the package documentation.
type connection struct {
	id    string
	peer  Peer
	delay time.Duration
	log   *slog.Logger
	gone  bool
}

// Receive handles the connection's messages. Writing a response may block
// while the client's socket is full: only this client waits.
func (c *connection) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case dispatcher.Response:
		if c.gone {
			return
		}
		if err := c.peer.Respond(msg.Payload); err != nil {
			c.log.Debug("response not delivered", "connection", c.id, "requestId", msg.RequestID, "error", err)
		}
	case Disconnected:
		if !c.gone {
			c.gone = true
			scheduler.NewTimerScheduler(ctx).SendOnce(c.delay, ctx.Self(), expired{})
		}
	case expired:
		c.log.Debug("connection removed", "connection", c.id)
		ctx.Stop(ctx.Self())
	case Flush:
		ctx.Respond(Flushed{})
	}
}
