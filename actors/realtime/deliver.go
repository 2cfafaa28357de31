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

// deliverBatch hands each notification of a batch to the local channels.
func (rt *Realtime) deliverBatch(b *roommsg.Batch) {
	rt.received.Add(uint64(len(b.Items)))
	for _, d := range b.Items {
		for _, roomID := range d.Rooms {
			if view, ok := rt.views.Load(roomID); ok {
				rt.deliverLocal(view.(*roomView), d.Scope, d.Payload)
			}
		}
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

// remoteBatch is the rooms a notification is shipped for to one node,
// through this node's shipper to it.
type remoteBatch struct {
	pid   *actor.PID
	rooms []string
}

// addRemoteRoom adds roomID to pid's batch: a few nodes at most, so a
// slice.
func addRemoteRoom(batches []remoteBatch, pid *actor.PID, roomID string) []remoteBatch {
	for i := range batches {
		if batches[i].pid.Equal(pid) {
			batches[i].rooms = append(batches[i].rooms, roomID)
			return batches
		}
	}
	return append(batches, remoteBatch{pid: pid, rooms: []string{roomID}})
}

// deliverer is the actor that receives the notifications other nodes
// matched for this node's subscribers.
type deliverer struct{ rt *Realtime }

// Receive hands the notifications of a batch to the local channels and
// acknowledges it.
func (d deliverer) Receive(ctx actor.Context) {
	if b, ok := ctx.Message().(*roommsg.Batch); ok {
		d.rt.deliverBatch(b)
		ctx.Respond(&roommsg.Ack{Seq: b.Seq})
	}
}
