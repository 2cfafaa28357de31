package api

import (
	"context"

	"github.com/starlingmq/starling/internal/kerror"
)

// AnonymousUserID is the kuid of requests sent without a token.
const AnonymousUserID = "-1"

// Caller is who sends a request, as authentication established it.
type Caller struct {
	// UserID is the user's kuid; AnonymousUserID without a token.
	UserID string
	// Token is the token the request was authenticated with, "" for the
	// anonymous user.
	Token string
	// Rights answers for actions whose target is known only inside them
	// (realtime:join's room); nil allows everything.
	Rights Rights
}

// Rights tells what a caller may do.
type Rights interface {
	// Allows reports whether controller:action may run on index and
	// collection ("" when the request names none).
	Allows(controller, action, index, collection string) bool
}

// May reports whether the caller may run controller:action on index and
// collection.
func (c Caller) May(controller, action, index, collection string) bool {
	return c.Rights == nil || c.Rights.Allows(controller, action, index, collection)
}

// Refusal is the error refusing controller:action to the caller: Kuzzle's
// security.rights.unauthorized for the anonymous user,
// security.rights.forbidden for another.
func (c Caller) Refusal(controller, action string) *kerror.Error {
	if c.UserID == AnonymousUserID {
		return kerror.New("security.rights.unauthorized", controller, action)
	}
	return kerror.New("security.rights.forbidden", controller, action, c.UserID)
}

type callerKey struct{}

// WithCaller returns ctx carrying c, for the action a request runs.
func WithCaller(ctx context.Context, c Caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

// CallerOf returns the caller ctx carries: the anonymous user when none.
func CallerOf(ctx context.Context) Caller {
	if c, ok := ctx.Value(callerKey{}).(Caller); ok {
		return c
	}
	return Caller{UserID: AnonymousUserID}
}
