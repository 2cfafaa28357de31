package node

import (
	"context"
	"fmt"

	"github.com/starlingmq/starling/internal/api"
	"github.com/starlingmq/starling/internal/controllers/auth"
	"github.com/starlingmq/starling/internal/security/guard"
	"github.com/starlingmq/starling/internal/security/repository"
	"github.com/starlingmq/starling/internal/security/token"
)

// security is the node's security: its definitions in the store and the
// live tokens.
type security struct {
	repo   *repository.Repository
	tokens *token.Manager
}

// startSecurity opens the security definitions on the node's store (Kuzzle's
// bootstrap ones on a new store) and the token manager, whose secret is
// kept in the store, and returns the guard the dispatcher admits requests
// with.
func (n *Node) startSecurity() (*guard.Guard, error) {
	ctx, cancel := context.WithTimeout(context.Background(), askTimeout)
	defer cancel()
	repo, err := repository.Open(ctx, n.store, repository.Config{})
	if err != nil {
		return nil, fmt.Errorf("start security: %w", err)
	}
	cfg := token.DefaultConfig()
	if cfg.Secret, err = repo.Secret(ctx, token.GenerateSecret); err != nil {
		return nil, fmt.Errorf("start security: %w", err)
	}
	tokens, err := token.NewManager(cfg, token.Options{Logger: n.log})
	if err != nil {
		return nil, fmt.Errorf("start security: %w", err)
	}
	n.security = &security{repo: repo, tokens: tokens}
	return guard.New(tokens, repo), nil
}

// stopSecurity ends the token manager's timers.
func (n *Node) stopSecurity() {
	if n.security != nil {
		n.security.tokens.Close()
	}
}

// authController is the auth controller on the node's security.
func (n *Node) authController() api.Controller {
	return auth.Controller(auth.Deps{Tokens: n.security.tokens, Security: n.security.repo, Strategies: map[string]auth.Strategy{}})
}
