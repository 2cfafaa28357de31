package connection

import (
	"log/slog"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/scheduler"

	"github.com/starlingmq/starling/actors/channel"
	"github.com/starlingmq/starling/actors/realtime/roommsg"
	"github.com/starlingmq/starling/internal/mqtt"
)

// Disconnected tells a connection actor that its client is gone.
type Disconnected struct{}

// expired fires disconnectDelay after Disconnected.
type expired struct{}

// connection is the actor; see the package documentation.
type connection struct {
	id       string
	protocol string             // the client's protocol, for user notifications
	client   channel.Subscriber // the MQTT or WebSocket client
	json     bool               // a WebSocket client: JSON messages, subscribed when granted
	rooms    *actor.PID         // the realtime rooms actor, told when the connection ends
	registry *actor.PID         // the registry, told too
	delay    time.Duration
	log      *slog.Logger
	gone     bool
	// grants holds the channels the connection obtained, by name.
	grants map[string]*grant
	// roomIDs lists the channels held in each room.
	roomIDs map[string][]string
}

// grant is one channel a connection obtained.
type grant struct {
	roomID     string
	pid        *actor.PID // the channel actor, known once the client subscribed
	subscribed bool       // the MQTT client subscribed to the channel's topic
}

// Receive handles the connection's messages. It never blocks: responses
// go to the client's bounded queue.
func (c *connection) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case Disconnected:
		if !c.gone {
			c.gone = true
			scheduler.NewTimerScheduler(ctx).SendOnce(c.delay, ctx.Self(), expired{})
		}
	case expired:
		c.end(ctx)
	case Granted:
		c.granted(msg)
		switch {
		case c.json: // no SUBSCRIBE will come: subscribed before the answer leaves
			c.subscribe(ctx, msg.Channel)
		case ctx.Sender() != nil:
			ctx.Respond(msg)
		}
	case Revoked:
		c.revoked(ctx, msg.RoomID)
	case subscribe:
		c.subscribe(ctx, msg.topic)
	case TokenExpired:
		c.tokenExpired(ctx, msg)
	case unsubscribe:
		if g, ok := c.grants[msg.topic]; ok && g.subscribed {
			g.subscribed = false
			ctx.Send(g.pid, channel.RemoveSubscriber{ConnectionID: c.id})
		}
	}
}

// subscribe answers whether the client may subscribe to topic: only to a
// channel the connection was granted. It first makes the client a
// subscriber of the channel's actor, which the rooms actor spawns at the
// channel's first subscriber; the actor keeps handling messages meanwhile.
func (c *connection) subscribe(ctx actor.Context, topic string) {
	asker := ctx.Sender()
	reply := func(ok bool) {
		if asker != nil {
			ctx.Send(asker, ok)
		}
	}
	g, ok := c.grants[topic]
	switch {
	case !ok || c.rooms == nil:
		reply(false)
		return
	case g.subscribed:
		reply(true)
		return
	}
	future := ctx.RequestFuture(c.rooms, roommsg.EnsureChannel{RoomID: g.roomID, Channel: topic}, ensureTimeout)
	ctx.ReenterAfter(future, func(answer any, err error) {
		pid, _ := answer.(*actor.PID)
		if err != nil || pid == nil || c.grants[topic] != g {
			reply(false) // the room or the grant is gone
			return
		}
		if !g.subscribed {
			ctx.Send(pid, channel.AddSubscriber{ConnectionID: c.id, Subscriber: c.client})
			g.pid, g.subscribed = pid, true
		}
		reply(true)
	})
}

// end leaves every room, then stops the actor.
func (c *connection) end(ctx actor.Context) {
	c.leaveAll(ctx)
	c.log.Debug("connection removed", "connection", c.id)
	ctx.Send(c.registry, untrack{pid: ctx.Self()})
	ctx.Stop(ctx.Self())
}

// tokenExpired leaves every room and tells the client why.
func (c *connection) tokenExpired(ctx actor.Context, msg TokenExpired) {
	c.leaveAll(ctx)
	switch {
	case msg.Notification == nil || c.gone:
	case c.json:
		c.client.Deliver(channel.AppendRoom(nil, msg.Notification, NotificationTopic))
	default:
		c.client.Deliver(mqtt.AppendPublish(nil, NotificationTopic, msg.Notification, c.client.ProtocolVersion()))
	}
}

// leaveAll leaves every room and forgets every channel.
func (c *connection) leaveAll(ctx actor.Context) {
	for _, g := range c.grants {
		if g.subscribed {
			ctx.Send(g.pid, channel.RemoveSubscriber{ConnectionID: c.id})
		}
	}
	if len(c.roomIDs) > 0 && c.rooms != nil {
		rooms := make([]string, 0, len(c.roomIDs))
		for id := range c.roomIDs {
			rooms = append(rooms, id)
		}
		ctx.Send(c.rooms, roommsg.Gone{ConnectionID: c.id, Rooms: rooms, Protocol: c.protocol})
	}
	clear(c.grants)
	clear(c.roomIDs)
}

// granted records a channel the connection may now subscribe to.
func (c *connection) granted(msg Granted) {
	if _, ok := c.grants[msg.Channel]; ok {
		return
	}
	c.grants[msg.Channel] = &grant{roomID: msg.RoomID}
	c.roomIDs[msg.RoomID] = append(c.roomIDs[msg.RoomID], msg.Channel)
}

// revoked forgets every channel of a room the connection left.
func (c *connection) revoked(ctx actor.Context, roomID string) {
	for _, name := range c.roomIDs[roomID] {
		if g := c.grants[name]; g != nil && g.subscribed {
			ctx.Send(g.pid, channel.RemoveSubscriber{ConnectionID: c.id})
		}
		delete(c.grants, name)
	}
	delete(c.roomIDs, roomID)
}
