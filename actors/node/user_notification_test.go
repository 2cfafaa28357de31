package node_test

import (
	"testing"
	"time"
)

// TestUserNotificationTimestampAndProtocol checks that every user
// notification (a subscription, an unsubscription, a disconnection) carries
// the time it happened, in milliseconds, and the protocol of the connection
// that entered or left, as Kuzzle's UserNotification.fromRequest does.
func TestUserNotificationTimestampAndProtocol(t *testing.T) {
	srv := startServer(t, nil)
	for _, v := range versions {
		t.Run(v.name, func(t *testing.T) {
			watcher := connect3(t, srv.addr)
			filter := `{"equals":{"stamp":"` + v.name + `"}}`
			s := subscribe(t, watcher, filter, `,"users":"all"`)
			steps := []struct {
				user, action string
				do           func(visitor client)
			}{
				{"in", "subscribe", func(visitor client) { subscribe(t, visitor, filter, `,"scope":"in"`) }},
				{"out", "unsubscribe", func(visitor client) {
					request(t, visitor, `{"controller":"realtime","action":"unsubscribe","body":{"roomId":"`+s.RoomID+`"}}`)
				}},
				{"in", "subscribe", func(visitor client) { subscribe(t, visitor, filter, `,"scope":"in"`) }},
				{"out", "unsubscribe", func(visitor client) { visitor.close() }},
			}
			visitor := v.connect(t, srv.addr)
			for i, step := range steps {
				before := time.Now().UnixMilli()
				step.do(visitor)
				n := nextNotification(t, watcher, s.Channel)
				after := time.Now().UnixMilli()
				if n.Type != "user" || n.User != step.user || n.Action != step.action || n.Controller != "realtime" {
					t.Fatalf("step %d: unexpected notification %s", i, n.raw)
				}
				if n.Protocol != "mqtt" {
					t.Errorf("step %d: protocol %q, want mqtt: %s", i, n.Protocol, n.raw)
				}
				if n.Timestamp < before || n.Timestamp > after {
					t.Errorf("step %d: timestamp %d outside [%d, %d]: %s", i, n.Timestamp, before, after, n.raw)
				}
			}
		})
	}
}
