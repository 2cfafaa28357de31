package dispatcher_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/starlingmq/starling/actors/dispatcher"
	"github.com/starlingmq/starling/internal/api"
	"github.com/starlingmq/starling/internal/kerror"
)

// fakeEvents records the stages piped and hooked, and recovers errors
// when told to.
type fakeEvents struct {
	mu      sync.Mutex
	piped   []api.Stage
	hooked  chan api.Stage
	recover bool
}

func (f *fakeEvents) Pipe(_ context.Context, s api.Stage, req *api.Request, result any, failure *kerror.Error) (*api.Request, any, *kerror.Error) {
	f.mu.Lock()
	f.piped = append(f.piped, s)
	f.mu.Unlock()
	switch {
	case s == api.StageBefore && string(req.Arg("reject")) == "true":
		return req, nil, kerror.New("security.rights.forbidden", "test", "act", "-1")
	case s == api.StageAfter:
		return req, fmt.Sprintf("%v, piped", result), nil
	case s == api.StageError && f.recover:
		return req, "recovered from " + failure.ID, nil
	}
	return req, result, failure
}

func (f *fakeEvents) Hook(s api.Stage, _ *api.Request, _ any, _ *kerror.Error) { f.hooked <- s }

func (f *fakeEvents) stages() []api.Stage {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.piped
	f.piped = nil
	return out
}

// fakePipeline gives every test:* action the same events, none to others.
type fakePipeline struct{ ev *fakeEvents }

func (p fakePipeline) Events(controller, _ string) dispatcher.Events {
	if controller != "test" {
		return nil
	}
	return p.ev
}

func eventsDispatcher(t testing.TB, p dispatcher.Pipeline) (*actor.RootContext, *actor.PID) {
	t.Helper()
	system := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}))
	t.Cleanup(system.Shutdown)
	test := api.Controller{Name: "test", Actions: map[string]api.Action{
		"act": func(_ context.Context, req *api.Request) (any, error) {
			if string(req.Arg("fail")) == "true" {
				return nil, kerror.New("api.assert.missing_argument", "x")
			}
			return "done", nil
		},
	}, Immediate: func(string) bool { return true }}
	d := system.Root.Spawn(dispatcher.Props(dispatcher.Config{
		Node: "knode-test", MaxRequestSize: 1 << 20, ConcurrentRequests: 10, RequestsBufferSize: 10, WarningThreshold: 10,
		Controllers: []api.Controller{test, {Name: "other", Actions: test.Actions}},
		Logger:      slog.New(slog.NewTextHandler(io.Discard, nil)),
		Pipeline:    p,
	}))
	return system.Root, d
}

func ask(t testing.TB, root *actor.RootContext, d *actor.PID, payload string, fromPlugin bool) string {
	t.Helper()
	r := make(responder, 1)
	root.Send(d, dispatcher.Dispatch{Payload: []byte(payload), Responder: r, FromPlugin: fromPlugin})
	select {
	case got := <-r:
		return string(got)
	case <-time.After(10 * time.Second):
		t.Fatal("no answer")
	}
	return ""
}

func TestFunnelStages(t *testing.T) {
	ev := &fakeEvents{hooked: make(chan api.Stage, 64)}
	root, d := eventsDispatcher(t, fakePipeline{ev})
	S := api.StageExecution
	tests := []struct {
		name, payload, want string
		recover             bool
		piped               []api.Stage
	}{
		{"success", `{"controller":"test","action":"act"}`, `"result":"done, piped","status":200`, false,
			[]api.Stage{S, api.StageBefore, api.StageAfter, api.StageSuccess}},
		{"refused before", `{"controller":"test","action":"act","reject":true}`, `"status":403`, false,
			[]api.Stage{S, api.StageBefore, api.StageError, api.StageOnError}},
		{"failure", `{"controller":"test","action":"act","fail":true}`, `"status":400`, false,
			[]api.Stage{S, api.StageBefore, api.StageError, api.StageOnError}},
		{"recovered", `{"controller":"test","action":"act","fail":true}`, `"result":"recovered from api.assert.missing_argument","status":200`, true,
			[]api.Stage{S, api.StageBefore, api.StageError}},
		{"no events", `{"controller":"other","action":"act"}`, `"result":"done","status":200`, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev.recover = tt.recover
			got := ask(t, root, d, tt.payload, false)
			if !strings.Contains(got, tt.want) {
				t.Fatalf("got %s, want %s", got, tt.want)
			}
			if piped := ev.stages(); fmt.Sprint(piped) != fmt.Sprint(tt.piped) {
				t.Fatalf("piped %v, want %v", piped, tt.piped)
			}
			// Every stage whose pipes passed is hooked; a refusing one is not.
			want := len(tt.piped)
			if tt.name == "refused before" {
				want--
			}
			for range want {
				select {
				case <-ev.hooked:
				case <-time.After(10 * time.Second):
					t.Fatal("missing hook")
				}
			}
		})
	}
}

// TestPluginRequestsTriggerEventsOnlyWhenAsked: Kuzzle's
// executePluginRequest fires events only with triggerEvents.
func TestPluginRequestsTriggerEventsOnlyWhenAsked(t *testing.T) {
	ev := &fakeEvents{hooked: make(chan api.Stage, 64)}
	root, d := eventsDispatcher(t, fakePipeline{ev})
	if got := ask(t, root, d, `{"controller":"test","action":"act"}`, true); !strings.Contains(got, `"result":"done"`) || len(ev.stages()) != 0 {
		t.Fatalf("plugin request without triggerEvents: %s", got)
	}
	if got := ask(t, root, d, `{"controller":"test","action":"act","triggerEvents":true}`, true); !strings.Contains(got, `"result":"done, piped"`) {
		t.Fatalf("plugin request with triggerEvents: %s", got)
	}
}

// emptyPipeline has no listener anywhere.
type emptyPipeline struct{}

func (emptyPipeline) Events(string, string) dispatcher.Events { return nil }

// TestEmptyPipelineAddsNoAllocation: a pipeline with no listener costs a
// request no allocation.
func TestEmptyPipelineAddsNoAllocation(t *testing.T) {
	allocs := func(p dispatcher.Pipeline) float64 {
		root, d := eventsDispatcher(t, p)
		r := make(responder, 1)
		msg := dispatcher.Dispatch{Payload: []byte(`{"controller":"other","action":"act","requestId":"x"}`), Responder: r}
		for range 100 { // warm up
			root.Send(d, msg)
			<-r
		}
		return testing.AllocsPerRun(1000, func() {
			root.Send(d, msg)
			<-r
		})
	}
	without, with := allocs(nil), allocs(emptyPipeline{})
	t.Logf("allocations per request: %.1f without a pipeline, %.1f with an empty one", without, with)
	if with > without+0.5 {
		t.Fatalf("an empty pipeline costs %.1f allocations per request, none costs %.1f", with, without)
	}
}
