package dispatcher

import (
	"context"

	"github.com/starlingmq/starling/internal/api"
)

// Guard is the security's one entry into the dispatcher: it authenticates
// a request and checks that its caller may run it. Admit runs on the
// goroutine that then runs the action, before it; it returns the context
// the action runs with (carrying the api.Caller) or the error that answers
// the request instead (Kuzzle's security.token.* and security.rights.*).
type Guard interface {
	Admit(ctx context.Context, req *api.Request) (context.Context, error)
}
