package dispatcher_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/starlingmq/starling/actors/dispatcher"
	"github.com/starlingmq/starling/internal/api"
)

// responder records the one answer it gets.
type responder chan []byte

func (r responder) Respond(payload []byte) error { r <- append([]byte(nil), payload...); return nil }

// TestHandoffRunsImmediateActionsOnTheSender: an immediate action handed
// back runs inside Handoff.Run, on the sender's goroutine; a request whose
// sender stopped waiting (Run called before the dispatcher got to it) runs
// on a worker; actions not declared immediate always run on a worker.
func TestHandoffRunsImmediateActionsOnTheSender(t *testing.T) {
	root, d, _, _ := newDispatcher(t, 1)
	var inHandoff atomic.Bool
	ranInHandoff := make(chan bool, 4)
	action := func(context.Context, *api.Request) (any, error) {
		ranInHandoff <- inHandoff.Load()
		return "ok", nil
	}
	root.Send(d, dispatcher.Register{Controller: api.Controller{
		Name:      "t",
		Actions:   map[string]api.Action{"fast": action, "slow": action},
		Immediate: func(a string) bool { return a == "fast" },
	}})
	for _, tc := range []struct {
		action   string
		declined bool
		onSender bool
	}{
		{action: "fast", onSender: true},
		{action: "fast", declined: true},
		{action: "slow"},
	} {
		answers := make(responder, 1)
		h := &dispatcher.Handoff{}
		if tc.declined {
			h.Run() // gives up before the dispatcher sees the request
		}
		root.Send(d, dispatcher.Dispatch{Payload: []byte(`{"controller":"t","action":"` + tc.action + `"}`), Responder: answers, Handoff: h})
		if !tc.declined {
			// The dispatcher's mailbox ran on this goroutine, inside Send.
			inHandoff.Store(true)
			h.Run()
			inHandoff.Store(false)
		}
		select {
		case got := <-ranInHandoff:
			if tc.onSender && !got {
				t.Errorf("%s: ran on a worker, not in Handoff.Run", tc.action)
			}
			if !tc.onSender && got {
				t.Errorf("%s (declined %v): ran in Handoff.Run", tc.action, tc.declined)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: never ran", tc.action)
		}
		select {
		case <-answers:
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: no answer", tc.action)
		}
	}
}
