package guard

import (
	"context"

	"github.com/starlingmq/starling/internal/api"
	"github.com/starlingmq/starling/internal/security/repository"
	"github.com/starlingmq/starling/internal/security/token"
)

// Tokens verifies tokens: a *token.Manager.
type Tokens interface {
	Verify(jwt string) (token.Token, error)
}

// Principals reads users with their profiles and roles: a
// *repository.Repository.
type Principals interface {
	Principal(ctx context.Context, id string) (*repository.Principal, error)
}

// Guard admits requests. Safe for concurrent use.
type Guard struct {
	tokens     Tokens
	principals Principals
	link       func(t token.Token, connectionID string)
}

// New returns a Guard on tokens and principals. link, when not nil, is told
// of each admitted request's token (an expiring one, not the anonymous
// user's) and connection, so that the connection can be told when the
// token ends, as Kuzzle's token manager links them.
func New(tokens Tokens, principals Principals, link func(t token.Token, connectionID string)) *Guard {
	return &Guard{tokens: tokens, principals: principals, link: link}
}

// Admit authenticates req (with its jwt, else its connection's token) and
// checks its rights on the index and collection it names; see the package
// documentation.
func (g *Guard) Admit(ctx context.Context, req *api.Request) (context.Context, error) {
	jwt := req.JWT
	if jwt == "" {
		jwt = req.Connection.Token
	}
	tok, err := g.tokens.Verify(jwt)
	if err != nil {
		return ctx, err
	}
	p, err := g.principals.Principal(ctx, tok.UserID)
	if err != nil {
		return ctx, err
	}
	caller := api.Caller{UserID: tok.UserID, Token: jwt, Allows: p.Allows}
	if !p.Allows(req.Controller, req.Action, req.Index(), req.Collection()) {
		return ctx, caller.Refusal(req.Controller, req.Action)
	}
	if g.link != nil && tok.UserID != api.AnonymousUserID && !tok.ExpiresAt.IsZero() && req.Connection.ID != "" {
		g.link(tok, req.Connection.ID)
	}
	return api.WithCaller(ctx, caller), nil
}
