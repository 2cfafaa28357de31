package realtime

import (
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/starlingmq/starling/actors/realtime/roommsg"
	"github.com/starlingmq/starling/internal/koncorde"
)

// BenchmarkRemoteSubscription measures what a node pays for a subscription
// made on another node: the rooms actor applying its Joined message, for a
// room the node did not know (the filter normalized and stored) and for
// one it knew (a member counted).
func BenchmarkRemoteSubscription(b *testing.B) {
	for _, newRoom := range []bool{true, false} {
		b.Run(map[bool]string{true: "new room", false: "known room"}[newRoom], func(b *testing.B) {
			system := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
				return slog.New(slog.NewTextHandler(io.Discard, nil))
			}))
			defer system.Shutdown()
			engine := koncorde.New()
			rt, err := Start(system, Config{Engine: engine, Node: "n"})
			if err != nil {
				b.Fatal(err)
			}
			const peer = "10.0.0.2:7511"
			system.Root.Send(rt.rooms, roommsg.Peers{Self: "10.0.0.1:7511", Addresses: []string{peer}})
			known, err := engine.NormalizeJSON("i", "c", []byte(`{"equals":{"kind":"known"}}`))
			if err != nil {
				b.Fatal(err)
			}
			msgs := make([]*roommsg.Joined, b.N)
			for i := range msgs {
				m := &roommsg.Member{RoomId: known.ID, Index: "i", Collection: "c", ConnectionId: "c" + strconv.Itoa(i)}
				if newRoom || i == 0 {
					body := []byte(fmt.Sprintf(`{"equals":{"kind":"k%d"}}`, i))
					if !newRoom {
						body = []byte(`{"equals":{"kind":"known"}}`)
					}
					n, err := engine.NormalizeJSON("i", "c", body)
					if err != nil {
						b.Fatal(err)
					}
					m.RoomId, m.Filter = n.ID, body
				}
				msgs[i] = &roommsg.Joined{Node: peer, Member: m, Protocol: "mqtt", Timestamp: 1}
			}
			b.ResetTimer()
			for _, m := range msgs {
				system.Root.Send(rt.rooms, m)
			}
			if _, err := system.Root.RequestFuture(rt.rooms, stats{}, time.Minute).Result(); err != nil {
				b.Fatal(err)
			}
		})
	}
}
