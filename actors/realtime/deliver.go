package realtime

import (
	"github.com/asynkron/protoactor-go/actor"

	"github.com/starlingmq/starling/actors/channel"
	"github.com/starlingmq/starling/actors/realtime/roommsg"
)

// deliver hands a notification matched here to the channels of rooms that
// want scope: this node's channels directly, and each other node with
// subscribers in those rooms once, with the list of its rooms. A
// subscriber thus receives it once, from the node its client is on.
func (rt *Realtime) deliver(rooms []string, scope string, payload []byte) {
	var remote []remoteBatch
	for _, roomID := range rooms {
		view, ok := rt.views.Load(roomID)
		if !ok {
			continue
		}
		v := view.(*roomView)
		rt.deliverLocal(v, scope, payload)
		for _, pid := range v.nodes {
			remote = addRemoteRoom(remote, pid, roomID)
		}
	}
	if len(remote) > 0 {
		rt.shipped.Add(uint64(len(remote)))
	}
	for _, b := range remote {
		rt.system.Root.Send(b.pid, &roommsg.Deliver{Rooms: b.rooms, Scope: scope, Payload: payload})
	}
}

// deliverLocal hands payload to the room's channels of this node that want
// scope.
func (rt *Realtime) deliverLocal(v *roomView, scope string, payload []byte) {
	for _, ch := range v.channels {
		if ch.pid != nil && matchesScope(ch.opts.scope, scope) { // else no subscriber ever, or not this scope
			rt.system.Root.Send(ch.pid, channel.Notify{Payload: payload})
		}
	}
}

// remoteBatch is the rooms a notification is shipped for to one node.
type remoteBatch struct {
	pid   *actor.PID
	rooms []string
}

// addRemoteRoom adds roomID to pid's batch: a few nodes at most, so a
// slice.
func addRemoteRoom(batches []remoteBatch, pid *actor.PID, roomID string) []remoteBatch {
	for i := range batches {
		if batches[i].pid.Address == pid.Address {
			batches[i].rooms = append(batches[i].rooms, roomID)
			return batches
		}
	}
	return append(batches, remoteBatch{pid: pid, rooms: []string{roomID}})
}

// deliverer is the actor that receives the notifications other nodes
// matched for this node's subscribers.
type deliverer struct{ rt *Realtime }

// Receive hands a shipped notification to the local channels.
func (d deliverer) Receive(ctx actor.Context) {
	msg, ok := ctx.Message().(*roommsg.Deliver)
	if !ok {
		return
	}
	d.rt.received.Add(1)
	for _, roomID := range msg.Rooms {
		if view, ok := d.rt.views.Load(roomID); ok {
			d.rt.deliverLocal(view.(*roomView), msg.Scope, msg.Payload)
		}
	}
}
