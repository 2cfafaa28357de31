package api

import "context"

// Action runs one API action. It returns the result to send (any value jsonx
// encodes) or an error; an error that is not a *kerror.Error is reported to
// the client as core.fatal.unexpected_error.
//
// An action may block (it runs on its own goroutine) but must return when
// ctx is done.
type Action func(ctx context.Context, req *Request) (any, error)

// Controller is a named group of actions, such as "server" or "realtime".
type Controller struct {
	// Name is what requests put in their "controller" field.
	Name string
	// Actions maps action names to their implementation.
	Actions map[string]Action
}
