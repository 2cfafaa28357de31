package realtime

import (
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/starlingmq/starling/actors/realtime/roommsg"
	"github.com/starlingmq/starling/internal/jsonx"
)

// Actor names every node of a cluster gives its realtime actors, so that
// one node addresses another's by its cluster address alone.
const (
	roomsName   = "realtime"
	deliverName = "realtime-deliver"
)

// peerState is what the rooms actor knows of the cluster: its own address
// and the rooms actors of the other live nodes. Empty on a single node.
type peerState struct {
	self  string
	peers map[string]*actor.PID // address → rooms actor
	// members lists, by node address, the subscriptions of that node's
	// connections, so that they all go when it leaves.
	members map[string]map[member]struct{}
	// listed holds, by node, the subscriptions the parts of its snapshot
	// listed so far.
	listed map[string]map[member]bool
	// shippers are the actors shipping notifications to the nodes with
	// subscriptions here, by address.
	shippers map[string]*actor.PID
	// gone are the nodes that left the cluster: what they sent before they
	// left and arrives late is ignored. A node that comes back is
	// forgotten here when the membership lists it again.
	gone map[string]bool
}

// ensure makes the maps of a node's first cluster message.
func (c *peerState) ensure() {
	if c.peers == nil {
		c.peers, c.members, c.gone = map[string]*actor.PID{}, map[string]map[member]struct{}{}, map[string]bool{}
		c.shippers, c.listed = map[string]*actor.PID{}, map[string]map[member]bool{}
	}
}

// remoteKey is how a remote subscription is keyed in rooms.members: the
// connection ids of two nodes never collide.
func remoteKey(roomID, node, connectionID string) member {
	return member{roomID: roomID, connectionID: node + "\x00" + connectionID}
}

// setPeers applies a membership change: a new node receives every local
// subscription, and the subscriptions of a node gone are left as if their
// connections had ended.
func (r *rooms) setPeers(ctx actor.Context, msg roommsg.Peers) {
	c := &r.cluster
	c.self = msg.Self
	c.ensure()
	live := make(map[string]bool, len(msg.Addresses))
	for _, address := range msg.Addresses {
		live[address] = true
		if _, known := c.peers[address]; known || address == c.self {
			continue
		}
		delete(c.gone, address)
		pid := actor.NewPID(address, roomsName)
		c.peers[address] = pid
		for _, part := range r.snapshot() {
			ctx.Send(pid, part)
		}
	}
	for address := range c.peers {
		if !live[address] {
			delete(c.peers, address)
			c.gone[address] = true
			delete(c.listed, address)
			r.dropNode(ctx, address, nil)
			if pid := c.shippers[address]; pid != nil {
				ctx.Stop(pid)
				delete(c.shippers, address)
			}
		}
	}
}

// snapshotPartBytes bounds one part of a snapshot, well under what the
// transport carries in one message.
const snapshotPartBytes = 1 << 20

// snapshot lists the local subscriptions for a node that joined, in parts
// of about snapshotPartBytes, each room's filter with its first member.
func (r *rooms) snapshot() []*roommsg.Snapshot {
	part := &roommsg.Snapshot{Node: r.cluster.self, First: true}
	parts := []*roommsg.Snapshot{part}
	size := 0
	sent := map[string]bool{} // rooms whose filter is in an earlier member
	for key, volatile := range r.members {
		rm := r.rooms[key.roomID]
		if rm == nil || isRemote(key) {
			continue
		}
		m := &roommsg.Member{RoomId: rm.id, Index: rm.index, Collection: rm.collection, ConnectionId: key.connectionID, Volatile: volatile}
		if !sent[rm.id] {
			m.Filter, sent[rm.id] = rm.filter, true
		}
		n := len(m.Filter) + len(m.Volatile) + len(m.RoomId) + len(m.ConnectionId) + len(m.Index) + len(m.Collection)
		if size > 0 && size+n > snapshotPartBytes {
			part = &roommsg.Snapshot{Node: r.cluster.self}
			parts = append(parts, part)
			size = 0
		}
		part.Members = append(part.Members, m)
		size += n
	}
	part.Last = true
	return parts
}

// isRemote reports whether a subscription is another node's.
func isRemote(key member) bool {
	for i := 0; i < len(key.connectionID); i++ {
		if key.connectionID[i] == 0 {
			return true
		}
	}
	return false
}

// tellJoined tells every other node that a local connection joined rm.
// The filter travels with the room's first local subscription: a node
// that learns of the room later gets it in a snapshot.
func (r *rooms) tellJoined(ctx actor.Context, rm *room, connectionID string, ev event) {
	if len(r.cluster.peers) == 0 {
		return
	}
	m := &roommsg.Member{RoomId: rm.id, Index: rm.index, Collection: rm.collection, ConnectionId: connectionID, Volatile: ev.volatile}
	if rm.local == 1 {
		m.Filter = rm.filter
	}
	msg := &roommsg.Joined{Node: r.cluster.self, Member: m, Protocol: ev.protocol, Timestamp: ev.timestamp}
	for _, pid := range r.cluster.peers {
		ctx.Send(pid, msg)
	}
}

// tellLeft tells every other node that a local connection left rm.
func (r *rooms) tellLeft(ctx actor.Context, rm *room, connectionID string, ev event) {
	if len(r.cluster.peers) == 0 {
		return
	}
	msg := &roommsg.Left{
		Node: r.cluster.self, RoomId: rm.id, ConnectionId: connectionID,
		Protocol: ev.protocol, Timestamp: ev.timestamp, Action: ev.action,
	}
	for _, pid := range r.cluster.peers {
		ctx.Send(pid, msg)
	}
}

// remoteJoined adds another node's subscription, creating its room from
// the filter sent along when this node does not know it.
func (r *rooms) remoteJoined(ctx actor.Context, msg *roommsg.Joined) {
	if !r.accepts(msg.Node) || msg.Member == nil {
		return
	}
	ev := event{action: "subscribe", protocol: msg.Protocol, timestamp: msg.Timestamp, volatile: msg.Member.Volatile}
	r.addRemote(ctx, msg.Node, msg.Member, ev)
}

// addRemote adds one subscription of node; false when its room is unknown
// and no valid filter came with it.
func (r *rooms) addRemote(ctx actor.Context, node string, m *roommsg.Member, ev event) bool {
	rm, ok := r.rooms[m.RoomId]
	if !ok {
		if rm = r.remoteRoom(m); rm == nil {
			return false
		}
	}
	key := remoteKey(rm.id, node, m.ConnectionId)
	if r.isMember(key) {
		return true
	}
	r.members[key] = jsonx.RawMessage(m.Volatile)
	if r.cluster.members[node] == nil {
		r.cluster.members[node] = map[member]struct{}{}
	}
	r.cluster.members[node][key] = struct{}{}
	rm.size++
	if rm.remote == nil {
		rm.remote = map[string]int{}
	}
	if rm.remote[node]++; rm.remote[node] == 1 {
		if r.cluster.shippers[node] == nil {
			r.cluster.shippers[node] = ctx.Spawn(r.shipper(node))
		}
		r.publishView(rm)
	}
	r.notifyUsers(ctx, rm, "in", ev)
	return true
}

// remoteRoom creates a room another node subscribed to, from its filter;
// nil when the filter is missing or does not normalize to the room's id
// (nodes running different filter engines or Wasm filters).
func (r *rooms) remoteRoom(m *roommsg.Member) *room {
	if len(m.Filter) == 0 {
		r.log.Warn("a subscription of another node came without its room's filter", "room", m.RoomId)
		return nil
	}
	normalized, err := r.engine.NormalizeJSON(m.Index, m.Collection, m.Filter)
	if err != nil || normalized.ID != m.RoomId {
		r.log.Warn("a room of another node could not be made here", "room", m.RoomId, "error", err)
		return nil
	}
	r.engine.Store(normalized)
	rm := &room{id: m.RoomId, index: m.Index, collection: m.Collection, filter: m.Filter}
	r.rooms[rm.id] = rm
	return rm
}

// accepts reports whether a message of node is applied: a node may speak
// before this one's membership lists it (its snapshot and subscriptions
// are kept), but not after it left.
func (r *rooms) accepts(node string) bool {
	c := &r.cluster
	if c.gone[node] || node == "" || node == c.self {
		return false
	}
	c.ensure()
	return true
}

// remoteLeft removes another node's subscription.
func (r *rooms) remoteLeft(ctx actor.Context, msg *roommsg.Left) {
	ev := event{action: msg.Action, protocol: msg.Protocol, timestamp: msg.Timestamp}
	r.removeRemote(ctx, msg.Node, remoteKey(msg.RoomId, msg.Node, msg.ConnectionId), ev)
}

// removeRemote removes one subscription of node, telling the local
// channels that asked for users "out".
func (r *rooms) removeRemote(ctx actor.Context, node string, key member, ev event) {
	volatile, ok := r.members[key]
	rm := r.rooms[key.roomID]
	if !ok || rm == nil {
		return
	}
	delete(r.members, key)
	delete(r.cluster.members[node], key)
	rm.size--
	if rm.remote[node]--; rm.remote[node] <= 0 {
		delete(rm.remote, node)
		r.publishView(rm)
	}
	if rm.size == 0 {
		r.remove(ctx, rm)
		return
	}
	ev.volatile = volatile
	r.notifyUsers(ctx, rm, "out", ev)
}

// remoteSnapshot applies a part of another node's snapshot: its members
// are added as they come, and those this node knew and no part listed are
// removed after the last part.
func (r *rooms) remoteSnapshot(ctx actor.Context, msg *roommsg.Snapshot) {
	if !r.accepts(msg.Node) {
		return
	}
	c := &r.cluster
	if msg.First || c.listed[msg.Node] == nil {
		c.listed[msg.Node] = map[member]bool{}
	}
	listed := c.listed[msg.Node]
	now := time.Now().UnixMilli()
	for _, m := range msg.Members {
		listed[remoteKey(m.RoomId, msg.Node, m.ConnectionId)] = true
		r.addRemote(ctx, msg.Node, m, event{action: "subscribe", timestamp: now, volatile: m.Volatile})
	}
	if msg.Last {
		delete(c.listed, msg.Node)
		r.dropNode(ctx, msg.Node, listed)
	}
}

// dropNode removes node's subscriptions but those in keep, as if their
// connections had ended.
func (r *rooms) dropNode(ctx actor.Context, node string, keep map[member]bool) {
	ev := event{action: "unsubscribe", timestamp: time.Now().UnixMilli()}
	for key := range r.cluster.members[node] {
		if !keep[key] {
			r.removeRemote(ctx, node, key, ev)
		}
	}
	if len(r.cluster.members[node]) == 0 {
		delete(r.cluster.members, node)
	}
}
