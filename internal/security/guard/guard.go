package guard

import (
	"context"
	"time"

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

// Config configures a Guard.
type Config struct {
	// LoginsPerSecond bounds one connection's auth:login requests per
	// second (limits.loginsPerSecond; 0: none).
	LoginsPerSecond int
	// Link, when not nil, is told of each admitted request's token (an
	// expiring one, not the anonymous user's) and connection, so that the
	// connection can be told when the token ends, as Kuzzle's token
	// manager links them.
	Link func(t token.Token, connectionID string)
	// Now is the clock of the rate limits (time.Now when nil).
	Now func() time.Time
}

// Guard admits requests. Safe for concurrent use.
type Guard struct {
	tokens     Tokens
	principals Principals
	link       func(t token.Token, connectionID string)
	limits     *rateLimiter
}

// New returns a Guard on tokens and principals.
func New(tokens Tokens, principals Principals, cfg Config) *Guard {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Guard{tokens: tokens, principals: principals, link: cfg.Link, limits: &rateLimiter{logins: cfg.LoginsPerSecond, now: cfg.Now}}
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
	caller := api.Caller{UserID: tok.UserID, Token: jwt, Rights: p}
	if !p.Allows(req.Controller, req.Action, req.Index(), req.Collection()) {
		return ctx, caller.Refusal(req.Controller, req.Action)
	}
	if kerr := g.limits.allow(req, tok.UserID, p.Profiles); kerr != nil {
		return ctx, kerr
	}
	if g.link != nil && tok.UserID != api.AnonymousUserID && !tok.ExpiresAt.IsZero() && req.Connection.ID != "" {
		g.link(tok, req.Connection.ID)
	}
	return api.WithCaller(ctx, caller), nil
}
