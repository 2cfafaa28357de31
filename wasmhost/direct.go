package wasmhost

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/starlingmq/starling/internal/api"
	"github.com/starlingmq/starling/internal/kerror"
)

// ParseEvent reads the name of one event (no wildcard): its stage and,
// but for request:onExecution, request:onSuccess and request:onError, the
// controller and action whose requests fire it ("ms" is memoryStorage's
// scope; the action is the event's with its first letter lower-cased, as
// Kuzzle's names capitalise it).
func ParseEvent(event string) (s api.Stage, controller, action string, err error) {
	i := strings.LastIndexByte(event, ':')
	if i <= 0 || i == len(event)-1 {
		return 0, "", "", fmt.Errorf("event %q is not CONTROLLER:EVENT", event)
	}
	scope, name := event[:i], event[i+1:]
	if scope == "request" {
		switch name {
		case "onExecution":
			return api.StageExecution, "", "", nil
		case "onSuccess":
			return api.StageSuccess, "", "", nil
		case "onError":
			return api.StageOnError, "", "", nil
		}
		return 0, "", "", fmt.Errorf("event %q: a single request event is request:onExecution, request:onSuccess or request:onError", event)
	}
	if scope == "ms" {
		scope = "memoryStorage"
	}
	for _, p := range []struct {
		prefix string
		stage  api.Stage
	}{{"before", api.StageBefore}, {"after", api.StageAfter}, {"error", api.StageError}} {
		if a, ok := strings.CutPrefix(name, p.prefix); ok && a != "" && a != "*" {
			return p.stage, scope, lowerFirst(a), nil
		}
	}
	return 0, "", "", fmt.Errorf("event %q is none of %s:beforeACTION, afterACTION, errorACTION", event, event[:i])
}

// listens checks that the module's pipes (or hooks) listen to event, under
// its name or a wildcard, and that req is a request firing it; it returns
// the event's stage.
func (m *Module) listens(kind, event string, req *api.Request) (api.Stage, error) {
	s, controller, action, err := ParseEvent(event)
	if err != nil {
		return 0, err
	}
	if controller != "" && eventName(s, req.Controller, req.Action) != event {
		return 0, fmt.Errorf("event %s is not an event of %s:%s requests (%s:%s's would be)",
			event, req.Controller, req.Action, controller, action)
	}
	names := m.manifest.Pipes
	if kind == KindHook {
		names = m.manifest.Hooks
	}
	for _, name := range wildcards(event) {
		if slices.Contains(names, name) {
			return s, nil
		}
	}
	return 0, fmt.Errorf("module %s has no %s on %s (its manifest's %ss: %q)", m.name, kind, event, kind, names)
}

// Pipe runs the module's pipe on one event now, as EventPlan.Pipe does
// for a request whose event only this module pipes: the same input, pipe
// slots, deadline, quarantine, records and checks of the answer. It is for
// tools and tests (wasmtest, `starling wasm run`); servers use
// Host.Events.
//
// On StageExecution and StageBefore events it returns the request to go
// on with, on the others the result; a non-nil *kerror.Error fails the
// request with it (on error events, a nil one means the pipe turned the
// failure into that result). err reports a call that cannot be made: an
// event that is no single event's name, one the module has no pipe on, or
// one req does not fire.
func (m *Module) Pipe(ctx context.Context, event string, req *api.Request, result any,
	failure *kerror.Error) (*api.Request, any, *kerror.Error, error) {
	s, err := m.listens(KindPipe, event, req)
	if err != nil {
		return req, result, failure, err
	}
	if kerr := m.host.pipeSlot(ctx); kerr != nil {
		return req, result, kerr, nil
	}
	defer func() { <-m.host.pipeSlots }()
	req, result, failure, kerr := m.runPipe(ctx, event, s, req, result, failure)
	if kerr != nil {
		return req, nil, kerr, nil
	}
	return req, result, failure, nil
}

// Hook runs the module's hook on one event now, on the caller's goroutine,
// as the host's hook workers run a queued one (EventPlan.Hook): the same
// input, deadline, records and quarantine. failed is the hook's failure (a
// trap, a timeout, an error object, or its skipping while the module is
// quarantined), which a server only logs; err says why the call cannot be
// made (as Pipe's). For tools and tests.
func (m *Module) Hook(ctx context.Context, event string, req *api.Request, result any,
	failure *kerror.Error) (failed, err error) {
	if _, err := m.listens(KindHook, event, req); err != nil {
		return nil, err
	}
	if kerr := m.refusal(); kerr != nil {
		return fmt.Errorf("hook skipped, as a server skips it: %s", kerr.Message), nil
	}
	input, err := eventInput(event, req, result, failure)
	if err != nil {
		return nil, err
	}
	return m.callHook(ctx, event, req, input), nil
}

// callHook calls the module's hook with an event's input; the error is the
// call's failure or the guest's error object.
func (m *Module) callHook(ctx context.Context, event string, req *api.Request, input []byte) error {
	out, err := m.callEvent(ctx, KindHook, req, input, m.limits.CallTimeout)
	switch {
	case err != nil:
		return fmt.Errorf("hook on %s failed: %w", event, err)
	case out.isError:
		return fmt.Errorf("hook on %s returned an error: %s", event, clip(out.data))
	}
	return nil
}
