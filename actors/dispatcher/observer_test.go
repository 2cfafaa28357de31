package dispatcher_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/starlingmq/starling/actors/dispatcher"
	"github.com/starlingmq/starling/internal/api"
	"github.com/starlingmq/starling/internal/kerror"
)

// observation is one ObserveRequest call.
type observation struct {
	controller, action string
	status             int
	elapsed            time.Duration
}

// observer records the observations on a channel.
type observer chan observation

func (o observer) ObserveRequest(controller, action string, status int, elapsed time.Duration) {
	o <- observation{controller, action, status, elapsed}
}

// TestObserverSeesEveryAnswer checks what the dispatcher reports to its
// Observer: routed requests with their names, status and latency, refused
// ones with empty names.
func TestObserverSeesEveryAnswer(t *testing.T) {
	system := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}))
	t.Cleanup(system.Shutdown)
	seen := make(observer, 10)
	slow := api.Controller{Name: "test", Actions: map[string]api.Action{
		"slow": func(context.Context, *api.Request) (any, error) {
			time.Sleep(5 * time.Millisecond) // the latency to observe
			return true, nil
		},
		"fail": func(context.Context, *api.Request) (any, error) {
			return nil, kerror.New("api.assert.missing_argument", "x")
		},
	}}
	d := system.Root.Spawn(dispatcher.Props(dispatcher.Config{
		Node: "knode-test", MaxRequestSize: 1 << 20, ConcurrentRequests: 10, RequestsBufferSize: 100, WarningThreshold: 50,
		Controllers: []api.Controller{slow}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Observer: seen,
	}))
	answers := make(sink, 10)
	replyTo := system.Root.Spawn(actor.PropsFromProducer(func() actor.Actor { return answers }))

	tests := []struct {
		payload string
		want    observation
	}{
		{`{"controller":"test","action":"slow"}`, observation{"test", "slow", 200, 5 * time.Millisecond}},
		{`{"controller":"test","action":"fail"}`, observation{"test", "fail", 400, 0}},
		{`{"controller":"nope","action":"x"}`, observation{"", "", 404, 0}},
		{`{"controller":`, observation{"", "", 400, 0}},
	}
	for _, tt := range tests {
		system.Root.Send(d, dispatcher.Dispatch{Payload: []byte(tt.payload), ReplyTo: replyTo})
		select {
		case got := <-seen:
			if got.controller != tt.want.controller || got.action != tt.want.action || got.status != tt.want.status || got.elapsed < tt.want.elapsed {
				t.Errorf("%s: observed %+v, want %+v (elapsed at least)", tt.payload, got, tt.want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: not observed", tt.payload)
		}
		<-answers
	}
}
