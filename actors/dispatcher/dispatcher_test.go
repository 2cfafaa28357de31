package dispatcher_test

import (
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/starlingmq/starling/actors/dispatcher"
	"github.com/starlingmq/starling/internal/api"
	"github.com/starlingmq/starling/internal/controllers/server"
)

// sink is an actor that forwards the responses it receives to a channel.
type sink chan dispatcher.Response

func (s sink) Receive(ctx actor.Context) {
	if r, ok := ctx.Message().(dispatcher.Response); ok {
		s <- r
	}
}

// newDispatcher spawns a dispatcher serving the server controller and a
// sink for its answers.
func newDispatcher(tb testing.TB, buffer int) (*actor.RootContext, *actor.PID, *actor.PID, sink) {
	tb.Helper()
	system := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}))
	tb.Cleanup(system.Shutdown)
	d := system.Root.Spawn(dispatcher.Props(dispatcher.Config{
		Node:               "knode-test",
		MaxRequestSize:     1 << 20,
		ConcurrentRequests: 100,
		RequestsBufferSize: 50000,
		WarningThreshold:   5000,
		Controllers:        []api.Controller{server.Controller(server.Node{Started: time.Now()})},
		Logger:             slog.New(slog.NewTextHandler(io.Discard, nil)),
	}))
	s := make(sink, buffer)
	return system.Root, d, system.Root.Spawn(actor.PropsFromProducer(func() actor.Actor { return s })), s
}

func TestAnswersEveryRequest(t *testing.T) {
	root, d, replyTo, answers := newDispatcher(t, 10)
	root.Send(d, dispatcher.Dispatch{Payload: []byte(`{"controller":"server","action":"now","requestId":"a"}`), ReplyTo: replyTo})
	root.Send(d, dispatcher.Dispatch{Payload: []byte(`{"controller":"server"`), ReplyTo: replyTo})
	got := map[string]string{}
	for range 2 {
		select {
		case r := <-answers:
			got[r.RequestID] = string(r.Payload)
		case <-time.After(10 * time.Second):
			t.Fatal("missing answer")
		}
	}
	if !strings.Contains(got["a"], `"status":200`) {
		t.Fatalf("server:now failed: %v", got)
	}
	for id, payload := range got {
		if id != "a" && !strings.Contains(payload, `"id":"network.mqtt.unexpected_error"`) {
			t.Fatalf("invalid JSON must get an error: %s", payload)
		}
	}
}

// BenchmarkRequestPath measures the request path without a network: a
// payload in, validated, routed, run and answered with the response bytes.
func BenchmarkRequestPath(b *testing.B) {
	root, d, replyTo, answers := newDispatcher(b, 1024)
	payload := []byte(`{"controller":"server","action":"now","requestId":"bench","volatile":{"sdkName":"bench"}}`)
	b.ReportAllocs()
	b.ResetTimer()
	inflight := 0
	for range b.N {
		root.Send(d, dispatcher.Dispatch{Payload: payload, ReplyTo: replyTo})
		inflight++
		if inflight == cap(answers)/2 {
			for ; inflight > 0; inflight-- {
				<-answers
			}
		}
	}
	for ; inflight > 0; inflight-- {
		<-answers
	}
}
