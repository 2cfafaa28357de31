package connection

import "github.com/asynkron/protoactor-go/actor"

// Granted gives a connection a realtime channel: its MQTT client may now
// subscribe to the channel's topic. Asked with a request, it is answered
// once the grant holds.
type Granted struct {
	// RoomID is the room the channel belongs to.
	RoomID string
	// Channel is the channel name, which is also its MQTT topic.
	Channel string
}

// EnsureChannel asks the realtime rooms actor for a channel's actor,
// spawned at its first subscriber; the answer is a *actor.PID, nil when the
// room or the channel is gone.
type EnsureChannel struct {
	// RoomID is the room the channel belongs to.
	RoomID string
	// Channel is the channel name.
	Channel string
}

// Revoked takes back every channel of a room the connection left.
type Revoked struct {
	// RoomID is the room left.
	RoomID string
}

// Gone tells the realtime rooms actor that a connection ended, after its
// disconnect delay, and which rooms it still was in.
type Gone struct {
	// ConnectionID identifies the connection.
	ConnectionID string
	// Rooms are the rooms it was in.
	Rooms []string
}

// subscribe asks whether the client may subscribe to a channel's topic; the
// answer is a bool, true once the client is the channel's subscriber.
type subscribe struct{ topic string }

// unsubscribe reports that the client unsubscribed from a topic.
type unsubscribe struct{ topic string }

// PID returns the PID of the connection actor of a connection id, for
// actors that know a connection only by its id. A message to a connection
// that ended goes to dead letters.
func PID(system *actor.ActorSystem, connectionID string) *actor.PID {
	return system.NewLocalPID(pidName(connectionID))
}

func pidName(connectionID string) string { return "conn/" + connectionID }
