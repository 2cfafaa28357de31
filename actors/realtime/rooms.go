package realtime

import (
	"bytes"
	"log/slog"
	"maps"
	"sort"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/starlingmq/starling/actors/channel"
	"github.com/starlingmq/starling/actors/realtime/roommsg"
	"github.com/starlingmq/starling/internal/api"
	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/kerror"
	"github.com/starlingmq/starling/internal/koncorde"
)

// room is one filter's subscriptions, owned by the rooms actor.
type room struct {
	id, index, collection string
	// filter is the filter as subscribed (a JSON body), sent to the other
	// nodes of a cluster.
	filter []byte
	// size is how many connections are subscribed (see rooms.members),
	// on every node of the cluster; local is how many of them are this
	// node's, and remote counts the others' by node address.
	size, local int
	remote      map[string]int
	// channels are the room's channels, one per scope and users values
	// asked: a few at most, so a slice.
	channels []*channelRef
}

// member is one connection's subscription to one room.
type member struct{ roomID, connectionID string }

// isMember reports whether a subscription exists.
func (r *rooms) isMember(key member) bool {
	_, ok := r.members[key]
	return ok
}

// channel returns the room's channel of that name, nil if none.
func (rm *room) channel(name string) *channelRef {
	for _, ch := range rm.channels {
		if ch.name == name {
			return ch
		}
	}
	return nil
}

// channelRef is one channel of a room. Its actor is spawned at its first
// subscriber: a channel nobody listens to costs no actor.
type channelRef struct {
	name string
	opts options
	pid  *actor.PID // nil until the channel has had a subscriber
}

// roomView is the read-only copy of a room's channels that publish reads.
type roomView struct {
	channels []channelRef
	// nodes are the deliver actors of the other nodes with subscribers.
	nodes []*actor.PID
}

// event is what a user notification needs from the request causing it.
type event struct {
	action    string // "subscribe", "unsubscribe"
	protocol  string
	timestamp int64
	volatile  jsonx.RawMessage
}

// join adds a connection to a room (created from filter when not nil) with
// a channel for opts; the answer is a joined.
type join struct {
	filter *koncorde.Normalized
	// body is the filter as subscribed, kept for the other nodes.
	body         []byte
	roomID       string
	connectionID string
	opts         options
	event        event
	// caller must be allowed realtime:join on an existing room's index and
	// collection (realtime:join only: subscribe's were checked with the
	// request).
	caller *api.Caller
}

// joined answers join.
type joined struct {
	roomID, channel string
	err             *kerror.Error
}

// leave removes a connection from a room; the answer is a *kerror.Error,
// nil on success.
type leave struct {
	roomID, connectionID string
	event                event
}

// count asks a room's size; the answer is an int, 0 for no such room.
type count struct{ roomID string }

// list asks for every room's size by index and collection; the answer is a
// map[string]map[string]map[string]int.
type list struct{}

// stats asks for the number of rooms and of subscribed connections; the
// answer is a Stats.
type stats struct{}

// Stats are the realtime counters of server:metrics.
type Stats struct {
	// Rooms is the number of rooms.
	Rooms int `json:"rooms"`
	// Subscriptions is the number of connections in at least one room.
	Subscriptions int `json:"subscriptions"`
	// Refused counts the subscriptions refused by a limit, by Kuzzle error
	// id: core.realtime.too_many_terms, core.realtime.too_many_rooms. A
	// copy, never nil.
	Refused map[string]int64 `json:"refused"`
}

// rooms is the rooms actor; see the package documentation.
type rooms struct {
	engine   *koncorde.Engine
	node     string
	maxRooms int
	// maxRoomsPerConnection caps memberships' counts (0: no limit).
	maxRoomsPerConnection int
	encode                channel.Encoder
	// mailboxes runs the channel actors.
	mailboxes actor.Dispatcher
	counter   channel.Counter // nil: notifications not counted
	views     *sync.Map       // roomID → *roomView, written here only
	log       *slog.Logger
	rooms     map[string]*room
	// members maps each subscription to the volatile data it was made
	// with, sent again when it ends: one map for every room, as most rooms
	// have a member or two.
	members map[member]jsonx.RawMessage
	// memberships counts each connection's rooms.
	memberships map[string]int
	// refused counts refusals by Kuzzle error id.
	refused map[string]int64
	// logged holds, by connection actor id, the limits whose refusal was
	// logged; an entry lives until that actor ends.
	logged map[string]limit
	// cluster is what this node knows of the other nodes (peers.go).
	cluster peerState
	// shipper makes the actor that ships notifications to a node.
	shipper func(address string) *actor.Props
}

// Receive handles the rooms actor's messages.
func (r *rooms) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case join:
		ctx.Respond(r.join(ctx, msg))
	case roommsg.EnsureChannel:
		ctx.Respond(r.ensureChannel(ctx, msg.RoomID, msg.Channel))
	case leave:
		ctx.Respond(r.leave(ctx, msg.roomID, msg.connectionID, msg.event))
	case roommsg.Gone:
		ev := event{action: "unsubscribe", protocol: msg.Protocol, timestamp: time.Now().UnixMilli()}
		for _, id := range msg.Rooms {
			r.leave(ctx, id, msg.ConnectionID, ev)
		}
	case count:
		n := 0
		if rm, ok := r.rooms[msg.roomID]; ok {
			n = rm.size
		}
		ctx.Respond(n)
	case list:
		ctx.Respond(r.list())
	case stats:
		ctx.Respond(Stats{Rooms: len(r.rooms), Subscriptions: len(r.memberships), Refused: maps.Clone(r.refused)})
	case refused:
		r.refuse(ctx, msg.connectionID, msg.limit, msg.max)
	case roommsg.Peers:
		r.setPeers(ctx, msg)
	case *roommsg.Joined:
		r.remoteJoined(ctx, msg)
	case *roommsg.Left:
		r.remoteLeft(ctx, msg)
	case *roommsg.Snapshot:
		r.remoteSnapshot(ctx, msg)
	case *actor.Terminated:
		delete(r.logged, msg.Who.Id) // a connection, or one of the channels: nothing to forget
	}
}

// join implements realtime:subscribe and realtime:join. A connection
// already in the room is never refused; one entering it is refused past its
// own room limit, and past the global one when the room is new.
func (r *rooms) join(ctx actor.Context, msg join) joined {
	rm, ok := r.rooms[msg.roomID]
	if !ok && msg.filter == nil {
		return joined{err: kerror.New("core.realtime.room_not_found", msg.roomID)}
	}
	if ok && msg.caller != nil && !msg.caller.May("realtime", "join", rm.index, rm.collection) {
		return joined{err: msg.caller.Refusal("realtime", "join")}
	}
	if !ok || !r.isMember(member{rm.id, msg.connectionID}) {
		if l, value := r.overRoomLimits(msg.connectionID, ok); l != 0 {
			return r.refuseRoom(ctx, msg.connectionID, l, value)
		}
	}
	if !ok {
		r.engine.Store(msg.filter)
		rm = &room{id: msg.roomID, index: msg.filter.Index, collection: msg.filter.Collection, filter: bytes.Clone(msg.body)}
		r.rooms[msg.roomID] = rm
	}
	if key := (member{rm.id, msg.connectionID}); !r.isMember(key) {
		r.members[key] = msg.event.volatile
		rm.size++
		rm.local++
		r.memberships[msg.connectionID]++
		// Kuzzle notifies the channels that existed before this subscription.
		r.notifyUsers(ctx, rm, "in", msg.event)
		r.tellJoined(ctx, rm, msg.connectionID, msg.event)
	}
	name := channelName(rm.id, msg.opts)
	if rm.channel(name) == nil {
		rm.channels = append(rm.channels, &channelRef{name: name, opts: msg.opts})
		r.publishView(rm)
	}
	return joined{roomID: rm.id, channel: name}
}

// ensureChannel returns a channel's actor, spawning it on first use; nil
// when the room or the channel no longer exists.
func (r *rooms) ensureChannel(ctx actor.Context, roomID, name string) *actor.PID {
	rm, ok := r.rooms[roomID]
	if !ok {
		return nil
	}
	ch := rm.channel(name)
	if ch == nil {
		return nil
	}
	if ch.pid == nil {
		ch.pid = ctx.Spawn(channel.Props(name, r.encode, r.mailboxes, r.counter))
		r.publishView(rm)
	}
	return ch.pid
}

// leave implements realtime:unsubscribe and the end of a connection.
func (r *rooms) leave(ctx actor.Context, roomID, connectionID string, ev event) *kerror.Error {
	rm, ok := r.rooms[roomID]
	if !ok {
		return kerror.New("core.realtime.not_subscribed", connectionID, roomID)
	}
	key := member{roomID, connectionID}
	volatile, subscribed := r.members[key]
	if !subscribed {
		return kerror.New("core.realtime.not_subscribed", connectionID, roomID)
	}
	delete(r.members, key)
	rm.size--
	rm.local--
	if r.memberships[connectionID]--; r.memberships[connectionID] <= 0 {
		delete(r.memberships, connectionID)
	}
	r.tellLeft(ctx, rm, connectionID, ev)
	if rm.size == 0 {
		r.remove(ctx, rm)
		return nil
	}
	ev.volatile = volatile
	r.notifyUsers(ctx, rm, "out", ev)
	return nil
}

// remove deletes an empty room, its filter and its channels.
func (r *rooms) remove(ctx actor.Context, rm *room) {
	delete(r.rooms, rm.id)
	r.views.Delete(rm.id)
	r.engine.Remove(rm.id)
	for _, ch := range rm.channels {
		if ch.pid != nil {
			ctx.Stop(ch.pid)
		}
	}
}

// publishView replaces the read-only copy of a room's channels.
func (r *rooms) publishView(rm *room) {
	view := &roomView{channels: make([]channelRef, 0, len(rm.channels))}
	for _, ch := range rm.channels {
		view.channels = append(view.channels, *ch)
	}
	for node := range rm.remote {
		if pid := r.cluster.shippers[node]; pid != nil {
			view.nodes = append(view.nodes, pid)
		}
	}
	r.views.Store(rm.id, view)
}

// notifyUsers sends a user notification to the room's channels that asked
// for kind ("in" or "out").
func (r *rooms) notifyUsers(ctx actor.Context, rm *room, kind string, ev event) {
	var payload []byte
	for _, ch := range rm.channels {
		if ch.pid == nil || !matchesUsers(ch.opts.users, kind) {
			continue
		}
		if payload == nil {
			var err error
			payload, err = jsonx.Marshal(userNotification{
				Type: "user", Status: 200, User: kind, Result: userCount{Count: rm.size},
				Node: r.node, Timestamp: ev.timestamp, Volatile: nullIfEmpty(ev.volatile),
				Index: rm.index, Collection: rm.collection, Controller: "realtime", Action: ev.action,
				Protocol: ev.protocol,
			})
			if err != nil {
				r.log.Error("cannot encode a user notification", "room", rm.id, "error", err)
				return
			}
		}
		ctx.Send(ch.pid, channel.Notify{Payload: payload})
	}
}

// list counts each room's members by index and collection.
func (r *rooms) list() map[string]map[string]map[string]int {
	out := map[string]map[string]map[string]int{}
	ids := make([]string, 0, len(r.rooms))
	for id := range r.rooms {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		rm := r.rooms[id]
		if out[rm.index] == nil {
			out[rm.index] = map[string]map[string]int{}
		}
		if out[rm.index][rm.collection] == nil {
			out[rm.index][rm.collection] = map[string]int{}
		}
		out[rm.index][rm.collection][id] = rm.size
	}
	return out
}
