package realtime

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/starlingmq/starling/actors/channel"
	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/koncorde"
)

// askTimeout bounds an action's wait for the rooms actor.
const askTimeout = 10 * time.Second

// Config configures the realtime subsystem.
type Config struct {
	// Engine matches documents against the rooms' filters.
	Engine *koncorde.Engine
	// Node is the server id written in notifications.
	Node string
	// MaxRooms is limits.subscriptionRooms (0: no limit).
	MaxRooms int
	// MaxRoomsPerConnection is limits.subscriptionRoomsPerConnection, the
	// rooms one connection may be in (0: no limit).
	MaxRoomsPerConnection int
	// Encode wraps notifications into MQTT packets.
	Encode channel.Encoder
	// Mailboxes runs the channel actors; protoactor's default when nil.
	Mailboxes actor.Dispatcher
	// Counter, when set, counts the notifications every channel delivers
	// and drops.
	Counter channel.Counter
	// Logger receives the subsystem's logs.
	Logger *slog.Logger
	// Validate applies the collection's specifications to a published
	// message, as Kuzzle's realtime:publish does: it returns the body with
	// their default values, or the error refusing it. Nil publishes
	// unchecked.
	Validate func(index, collection, id string, body []byte) ([]byte, error)
}

// Realtime is the running realtime subsystem. Its methods are safe for
// concurrent use.
type Realtime struct {
	system *actor.ActorSystem
	rooms  *actor.PID
	// deliverer receives the notifications other nodes ship here.
	deliverer *actor.PID
	// shipped and received count the notifications sent to other nodes
	// and received from them, batches the messages that carried them, and
	// dropped those a slow node could not take (see shipper).
	shipped, received, batches, dropped atomic.Uint64
	engine                              *koncorde.Engine
	node                                string
	views                               *sync.Map
	log                                 *slog.Logger
	// validate is Config.Validate.
	validate func(index, collection, id string, body []byte) ([]byte, error)
}

// Start spawns the rooms actor.
func Start(system *actor.ActorSystem, cfg Config) (*Realtime, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	views := &sync.Map{}
	rt := &Realtime{
		system: system, engine: cfg.Engine, node: cfg.Node, views: views, log: cfg.Logger, validate: cfg.Validate,
	}
	pid, err := system.Root.SpawnNamed(actor.PropsFromProducer(func() actor.Actor {
		return &rooms{
			engine: cfg.Engine, node: cfg.Node, maxRooms: cfg.MaxRooms, maxRoomsPerConnection: cfg.MaxRoomsPerConnection,
			encode: cfg.Encode, mailboxes: cfg.Mailboxes, counter: cfg.Counter, views: views, log: cfg.Logger,
			rooms: map[string]*room{}, members: map[member]jsonx.RawMessage{}, memberships: map[string]int{},
			refused: map[string]int64{}, logged: map[string]limit{},
			shipper: func(address string) *actor.Props { return newShipper(rt, address) },
		}
	}), roomsName)
	if err != nil {
		return nil, fmt.Errorf("spawn the realtime rooms actor: %w", err)
	}
	rt.rooms = pid
	rt.deliverer, err = system.Root.SpawnNamed(actor.PropsFromProducer(func() actor.Actor { return deliverer{rt} }), deliverName)
	if err != nil {
		_ = system.Root.StopFuture(pid).Wait()
		return nil, fmt.Errorf("spawn the realtime deliver actor: %w", err)
	}
	return rt, nil
}

// Rooms returns the rooms actor, which connection actors tell when they end.
func (rt *Realtime) Rooms() *actor.PID { return rt.rooms }

// IsChannel reports whether topic names a live channel.
func (rt *Realtime) IsChannel(topic string) bool {
	dash := strings.LastIndexByte(topic, '-')
	if dash < 0 {
		return false
	}
	view, ok := rt.views.Load(topic[:dash])
	if !ok {
		return false
	}
	for _, ch := range view.(*roomView).channels {
		if ch.name == topic {
			return true
		}
	}
	return false
}

// Stats returns the number of rooms and of subscribed connections, and the
// subscriptions refused by a limit.
func (rt *Realtime) Stats(ctx context.Context) (Stats, error) {
	answer, err := rt.ask(ctx, stats{})
	if err != nil {
		return Stats{}, err
	}
	return answer.(Stats), nil
}

// ClusterStats count the notifications nodes exchange.
type ClusterStats struct {
	// Shipped and Received count the notifications this node sent to
	// other nodes for their subscribers, and received from them.
	Shipped, Received uint64
	// Batches counts the messages that carried the shipped ones.
	Batches uint64
	// Dropped counts those not shipped because the node they were for
	// had too many bytes waiting.
	Dropped uint64
}

// ClusterStats returns the counters of the notifications nodes exchange.
func (rt *Realtime) ClusterStats() ClusterStats {
	return ClusterStats{Shipped: rt.shipped.Load(), Received: rt.received.Load(), Batches: rt.batches.Load(), Dropped: rt.dropped.Load()}
}

// Stop stops the rooms actor and its channels.
func (rt *Realtime) Stop() error {
	_ = rt.system.Root.StopFuture(rt.deliverer).Wait()
	return rt.system.Root.StopFuture(rt.rooms).Wait()
}

// ask sends msg to the rooms actor and waits for the answer. Actions run on
// dispatcher workers, never inside an actor, so they may wait.
func (rt *Realtime) ask(ctx context.Context, msg any) (any, error) {
	timeout := askTimeout
	if deadline, ok := ctx.Deadline(); ok {
		timeout = min(timeout, time.Until(deadline))
	}
	answer, err := rt.system.Root.RequestFuture(rt.rooms, msg, timeout).Result()
	if err != nil {
		return nil, fmt.Errorf("ask the realtime rooms actor: %w", err)
	}
	return answer, nil
}
