// Package roommsg holds the messages the realtime rooms actor receives from
// other actors. They live apart from actors/realtime, which owns the
// actor, because their senders (the connection actors) are imported by
// realtime: a message package both can import breaks the cycle.
//
// It also holds, generated from roommsg.proto, the messages the rooms
// actors of a cluster's nodes send each other (Joined, Left, Snapshot) and
// the notifications a node ships to another (Deliver): protobuf, as
// protoactor's remoting requires.
//
// roommsg imports nothing of the module.
package roommsg

// EnsureChannel asks the rooms actor for a channel's actor, spawned at its
// first subscriber; the answer is a *actor.PID, nil when the room or the
// channel is gone.
type EnsureChannel struct {
	// RoomID is the room the channel belongs to.
	RoomID string
	// Channel is the channel name.
	Channel string
}

// Peers tells the rooms actor which nodes of the cluster are alive: it
// sends its subscriptions to the nodes it did not know and forgets those
// of the nodes that left. The cluster membership sends it at every change.
type Peers struct {
	// Self is this node's cluster address.
	Self string
	// Addresses are the other live nodes' cluster addresses.
	Addresses []string
}

// Gone tells the rooms actor that a connection ended, after its disconnect
// delay, and which rooms it still was in.
type Gone struct {
	// ConnectionID identifies the connection.
	ConnectionID string
	// Rooms are the rooms it was in.
	Rooms []string
	// Protocol is the connection's protocol ("mqtt"), carried by the user
	// notifications its leaving causes.
	Protocol string
}
