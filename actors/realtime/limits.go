package realtime

import (
	"github.com/asynkron/protoactor-go/actor"

	"github.com/starlingmq/starling/actors/connection"
	"github.com/starlingmq/starling/internal/kerror"
)

// limit is a subscription limit a request can run into; each is one bit,
// so that a connection's already logged limits fit in a byte.
type limit uint8

const (
	// limitMinterms is limits.subscriptionMinterms, checked by the engine.
	limitMinterms limit = 1 << iota
	// limitRooms is limits.subscriptionRooms, every connection's rooms.
	limitRooms
	// limitRoomsPerConnection is limits.subscriptionRoomsPerConnection.
	limitRoomsPerConnection
)

// key returns the limit's configuration key.
func (l limit) key() string {
	switch l {
	case limitMinterms:
		return "limits.subscriptionMinterms"
	case limitRooms:
		return "limits.subscriptionRooms"
	}
	return "limits.subscriptionRoomsPerConnection"
}

// errorID returns the Kuzzle error a request past the limit gets, which is
// also its refusal counter's name in Stats.
func (l limit) errorID() string {
	if l == limitMinterms {
		return "core.realtime.too_many_terms"
	}
	return "core.realtime.too_many_rooms"
}

// refused tells the rooms actor that a connection's request was refused by
// a limit checked outside it (the minterms, at normalization), for its
// counters and its log. No answer.
type refused struct {
	connectionID string
	limit        limit
	max          int
}

// refuse counts a refusal and logs it, once per connection and limit: a
// client hammering a limit costs one line. The rooms actor watches the
// connection's actor to forget it when it ends (at once when there is no
// such actor: the next refusal is logged again).
func (r *rooms) refuse(ctx actor.Context, connectionID string, l limit, value int) {
	r.refused[l.errorID()]++
	pid := connection.PID(ctx.ActorSystem(), connectionID)
	logged, watched := r.logged[pid.Id]
	if logged&l != 0 {
		return
	}
	if !watched {
		ctx.Watch(pid)
	}
	r.logged[pid.Id] = logged | l
	r.log.Warn("subscription refused: limit reached (logged once per connection)",
		"connection", connectionID, "limit", l.key(), "max", value, "error", l.errorID())
}

// refuseRoom refuses a join by a room limit.
func (r *rooms) refuseRoom(ctx actor.Context, connectionID string, l limit, value int) joined {
	r.refuse(ctx, connectionID, l, value)
	return joined{err: kerror.New(l.errorID())}
}

// overRoomLimits returns the room limit, and its value, that keeps a
// connection out of a room it is not in yet, or 0; exists tells whether the
// room exists.
func (r *rooms) overRoomLimits(connectionID string, exists bool) (limit, int) {
	if r.maxRoomsPerConnection > 0 && r.memberships[connectionID] >= r.maxRoomsPerConnection {
		return limitRoomsPerConnection, r.maxRoomsPerConnection
	}
	if !exists && r.maxRooms > 0 && len(r.rooms) >= r.maxRooms {
		return limitRooms, r.maxRooms
	}
	return 0, 0
}
