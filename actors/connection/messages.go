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

// Revoked takes back every channel of a room the connection left.
type Revoked struct {
	// RoomID is the room left.
	RoomID string
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

// TokenExpired ends the realtime subscriptions of a connection whose token
// expired or was revoked: it leaves every room, and its client gets
// Notification (when not nil) on NotificationTopic, as Kuzzle sends its
// TokenExpired server notification. The connection itself stays open.
type TokenExpired struct {
	// Notification is the encoded server notification, nil for none
	// (a revoked token: Kuzzle says nothing).
	Notification []byte
}

// NotificationTopic is the topic of Kuzzle's server notifications.
const NotificationTopic = "kuzzle:notification:server"
