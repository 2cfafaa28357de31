package dispatcher

import (
	"context"

	"github.com/starlingmq/starling/internal/api"
	"github.com/starlingmq/starling/internal/kerror"
)

// Pipeline finds the plugin pipes and hooks listening to a request's
// events. It is asked from Receive, once per request: it must be quick,
// never block and, when nothing listens, allocate nothing.
type Pipeline interface {
	// Events returns the pipes and hooks listening to the events of
	// controller:action's requests, nil when there are none: the request
	// then runs as if there were no pipeline.
	Events(controller, action string) Events
}

// Events runs the pipes and hooks of one controller:action's events.
type Events interface {
	// Pipe runs the pipes of one stage. On StageExecution and StageBefore
	// it returns the request to go on with; on the others the result. A
	// non-nil error fails the request; on StageError and StageOnError a
	// nil error means a pipe turned the failure into that result.
	Pipe(ctx context.Context, s api.Stage, req *api.Request, result any, failure *kerror.Error) (*api.Request, any, *kerror.Error)
	// Hook tells the hooks of one stage, after the answer was sent. It
	// must not block.
	Hook(s api.Stage, req *api.Request, result any, failure *kerror.Error)
}

// fired is what the hooks of one stage are told.
type fired struct {
	ok      bool
	req     *api.Request
	result  any
	failure *kerror.Error
}

// eventLog records the stages a request went through, for its hooks.
type eventLog [api.NumStages]fired

func (l *eventLog) record(s api.Stage, req *api.Request, result any, failure *kerror.Error) {
	l[s] = fired{true, req, result, failure}
}

// hooks tells the hooks of every stage the request went through.
func (l *eventLog) hooks(ev Events) {
	for s := range l {
		if f := &l[s]; f.ok {
			ev.Hook(api.Stage(s), f.req, f.result, f.failure)
		}
	}
}

// funnel runs an action between the pipes of its events, as Kuzzle's
// funnel does: request:onExecution and beforeACTION may change the request
// or refuse it; afterACTION and request:onSuccess may change the result;
// any failure goes through errorACTION, then, unless a pipe turned it into
// a result, request:onError. A stage whose pipe chain failed is not told to
// the hooks, as Kuzzle emits an event only once its pipes resolved.
func (d *dispatcher) funnel(ctx context.Context, j job, log *eventLog) (*api.Request, any, *kerror.Error) {
	ev := j.events
	req, result, failure := ev.Pipe(ctx, api.StageExecution, j.req, nil, nil)
	if failure == nil {
		log.record(api.StageExecution, req, nil, nil)
		if req, _, failure = ev.Pipe(ctx, api.StageBefore, req, nil, nil); failure == nil {
			log.record(api.StageBefore, req, nil, nil)
			result, failure = act(ctx, j.action, req)
		}
	}
	for _, s := range []api.Stage{api.StageAfter, api.StageSuccess} {
		if failure != nil {
			break
		}
		if _, result, failure = ev.Pipe(ctx, s, req, result, nil); failure == nil {
			log.record(s, req, result, nil)
		}
	}
	if failure == nil {
		return req, result, nil
	}
	for _, s := range []api.Stage{api.StageError, api.StageOnError} {
		var next *kerror.Error
		_, result, next = ev.Pipe(ctx, s, req, nil, failure)
		if next == nil {
			log.record(s, req, result, nil)
			return req, result, nil
		}
		if next == failure {
			log.record(s, req, nil, failure)
		}
		failure = next
	}
	return req, nil, failure
}

// act runs an action, its error as a Kuzzle error.
func act(ctx context.Context, action api.Action, req *api.Request) (any, *kerror.Error) {
	res, err := action(ctx, req)
	if err != nil {
		return nil, asKuzzleError(err)
	}
	return res, nil
}

// triggersEvents reports whether a plugin's request asks for its events,
// with "triggerEvents": true (Kuzzle's executePluginRequest).
func triggersEvents(req *api.Request) bool {
	return string(req.Arg("triggerEvents")) == "true"
}
