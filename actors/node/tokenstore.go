package node

import (
	"context"
	"fmt"
	"time"

	"github.com/starlingmq/starling/internal/jsonx"

	"github.com/starlingmq/starling/internal/security/repository"
	"github.com/starlingmq/starling/internal/security/token"
)

// storedToken is t as the repository keeps it.
func storedToken(t token.Token) repository.StoredToken {
	return repository.StoredToken{
		JWT: t.JWT, UserID: t.UserID, ExpiresAt: t.ExpiresAtMillis(), TTL: t.TTLMillis(),
		Type: string(t.Type), SingleUse: t.SingleUse,
	}
}

// tokenOf is a stored token as the token manager registers it.
func tokenOf(s repository.StoredToken) token.Token {
	t := token.Token{JWT: s.JWT, UserID: s.UserID, Type: token.Type(s.Type), SingleUse: s.SingleUse, TTL: token.Never}
	if s.TTL >= 0 {
		t.TTL = time.Duration(s.TTL) * time.Millisecond
	}
	if s.ExpiresAt >= 0 {
		t.ExpiresAt = time.UnixMilli(s.ExpiresAt)
	}
	return t
}

// restoreTokens registers again every stored token (login tokens and API
// keys) that has not expired, so that a restart logs nobody out; expired
// ones, and those the manager refuses (signed with another secret), are
// forgotten.
func restoreTokens(ctx context.Context, repo *repository.Repository, tokens *token.Manager, now time.Time) (int, error) {
	var stale []string
	restored := 0
	err := repo.EachToken(ctx, func(s repository.StoredToken) error {
		t := tokenOf(s)
		if !t.ExpiresAt.IsZero() && !t.ExpiresAt.After(now) {
			stale = append(stale, s.JWT)
			return nil
		}
		if err := tokens.Register(t); err != nil {
			stale = append(stale, s.JWT)
			return nil
		}
		restored++
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("restore the tokens: %w", err)
	}
	for _, jwt := range stale {
		if err := repo.DeleteToken(ctx, jwt); err != nil {
			return 0, fmt.Errorf("restore the tokens: %w", err)
		}
	}
	return restored, nil
}

// tokenGone is the token manager's OnEnd: the connections linked to the
// token are told (tokenEnded), and the stored token is forgotten, unless
// another node revoked it (and forgot it).
func (n *Node) tokenGone(repo *repository.Repository) func(token.Token, token.EndReason) {
	return func(t token.Token, why token.EndReason) {
		n.tokenEnded(t, why)
		if why == token.RevokedElsewhere {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), askTimeout)
		defer cancel()
		if err := repo.DeleteToken(ctx, t.JWT); err != nil {
			n.log.Warn("a token that ended is still stored", "user", t.UserID, "why", why.String(), "error", err)
		}
	}
}

// keepToken stores a token just issued, revoking it when that fails.
func (n *Node) keepToken(t token.Token) error {
	ctx, cancel := context.WithTimeout(context.Background(), askTimeout)
	defer cancel()
	if err := n.security.repo.SaveToken(ctx, storedToken(t)); err != nil {
		n.security.tokens.Revoke(t.JWT)
		return err
	}
	return nil
}

// myCredentials are the strategies as the auth controller's *MyCredentials
// actions see them.
type myCredentials struct{ credentials }

// Validate implements auth.Credentials.
func (c myCredentials) Validate(ctx context.Context, strategy, kuid string, body jsonx.RawMessage, isUpdate bool) error {
	l, err := c.local(strategy)
	if err != nil {
		return err
	}
	return l.Strategy.Validate(ctx, kuid, body, isUpdate)
}

// Create implements auth.Credentials.
func (c myCredentials) Create(ctx context.Context, strategy, kuid string, body jsonx.RawMessage) (any, error) {
	l, err := c.local(strategy)
	if err != nil {
		return nil, err
	}
	return l.Strategy.Create(ctx, kuid, body, kuid)
}

// Update implements auth.Credentials.
func (c myCredentials) Update(ctx context.Context, strategy, kuid string, body jsonx.RawMessage) (any, error) {
	l, err := c.local(strategy)
	if err != nil {
		return nil, err
	}
	return l.Strategy.Update(ctx, kuid, body, kuid)
}

// Info implements auth.Credentials.
func (c myCredentials) Info(ctx context.Context, strategy, kuid string) (any, error) {
	l, err := c.local(strategy)
	if err != nil {
		return nil, err
	}
	return l.Strategy.GetInfo(ctx, kuid)
}
