package realtime

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/starlingmq/starling/actors/channel"
	"github.com/starlingmq/starling/actors/realtime/roommsg"
	"github.com/starlingmq/starling/internal/api"
	"github.com/starlingmq/starling/internal/koncorde"
)

// countingSubscriber counts deliveries and closes done at the target.
type countingSubscriber struct {
	n      *atomic.Int64
	target *atomic.Int64
	done   chan struct{}
}

func (s countingSubscriber) Deliver([]byte) bool {
	if s.n.Add(1) == s.target.Load() {
		close(s.done)
	}
	return true
}

func (s countingSubscriber) ProtocolVersion() byte { return 4 }

// BenchmarkPublish measures realtime:publish with 10,000 other filters and
// one channel of 10 subscribers: the action, the fan-out and the encoding,
// without sockets.
func BenchmarkPublish(b *testing.B) {
	system := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}))
	defer system.Shutdown()
	engine := koncorde.New()
	rt, err := Start(system, Config{Engine: engine, Node: "n", Encode: func(dst []byte, topic string, payload []byte, _ byte) []byte {
		return append(append(dst, topic...), payload...)
	}})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for i := range 10_000 {
		req := request(b, fmt.Sprintf(`{"index":"i","collection":"c","body":{"equals":{"kind":"k%d"}}}`, i))
		if _, err := rt.subscribe(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
	res, err := rt.subscribe(ctx, request(b, `{"index":"i","collection":"c","body":{"equals":{"kind":"alert"}}}`))
	if err != nil {
		b.Fatal(err)
	}
	s := res.(subscription)
	answer, err := system.Root.RequestFuture(rt.Rooms(), roommsg.EnsureChannel{RoomID: s.RoomID, Channel: s.Channel}, 10*time.Second).Result()
	if err != nil {
		b.Fatal(err)
	}
	pid := answer.(*actor.PID)
	sub := countingSubscriber{n: &atomic.Int64{}, target: &atomic.Int64{}, done: make(chan struct{})}
	sub.target.Store(-1)
	for i := range 10 {
		system.Root.Send(pid, channel.AddSubscriber{ConnectionID: fmt.Sprint(i), Subscriber: sub})
	}
	pub := request(b, `{"index":"i","collection":"c","body":{"kind":"alert","sent":1795554564506,"seq":12}}`)
	sub.target.Store(int64(10 * b.N))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := rt.publish(ctx, pub); err != nil {
			b.Fatal(err)
		}
	}
	select {
	case <-sub.done:
	case <-time.After(10 * time.Second):
		b.Fatalf("%d of %d deliveries", sub.n.Load(), 10*b.N)
	}
}

func request(tb testing.TB, payload string) *api.Request {
	req, err := api.Parse([]byte(payload), api.Connection{ID: "c", Protocol: "internal"})
	if err != nil {
		tb.Fatal(err)
	}
	return req
}
