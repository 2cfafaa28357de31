package api

import "context"

// Action runs one API action. It returns the result to send (any value jsonx
// encodes) or an error; an error that is not a *kerror.Error is reported to
// the client as core.fatal.unexpected_error.
//
// An action may block (it runs on a worker goroutine) but must return when
// ctx is done, unless its controller declares it Immediate.
type Action func(ctx context.Context, req *Request) (any, error)

// Controller is a named group of actions, such as "server" or "realtime".
type Controller struct {
	// Name is what requests put in their "controller" field.
	Name string
	// Actions maps action names to their implementation.
	Actions map[string]Action
	// Immediate, when set, reports whether an action may run at once on
	// the goroutine that dispatches its request, skipping the hand-off to
	// a worker: true only for calls that never block and take
	// microseconds. It is asked for every request of the controller, so it
	// must be cheap; it may change its answer as the server's state does.
	Immediate func(action string) bool
}
