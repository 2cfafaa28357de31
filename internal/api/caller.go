package api

import "context"

// AnonymousUserID is the kuid of requests sent without a token.
const AnonymousUserID = "-1"

// Caller is who sends a request, as authentication established it.
type Caller struct {
	// UserID is the user's kuid; AnonymousUserID without a token.
	UserID string
	// Token is the token the request was authenticated with, "" for the
	// anonymous user.
	Token string
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
