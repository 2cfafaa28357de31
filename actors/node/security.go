package node

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/starlingmq/starling/internal/api"
	"github.com/starlingmq/starling/internal/config"
	"github.com/starlingmq/starling/internal/controllers/auth"
	securityctl "github.com/starlingmq/starling/internal/controllers/security"
	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/kerror"
	"github.com/starlingmq/starling/internal/mqtt"
	model "github.com/starlingmq/starling/internal/security"
	"github.com/starlingmq/starling/internal/security/guard"
	"github.com/starlingmq/starling/internal/security/local"
	"github.com/starlingmq/starling/internal/security/password"
	"github.com/starlingmq/starling/internal/security/repository"
	"github.com/starlingmq/starling/internal/security/token"
)

// security is the node's security: its definitions in the store and the
// live tokens.
type security struct {
	repo       *repository.Repository
	tokens     *token.Manager
	strategies map[string]auth.Strategy
	// standard is security.standard, for createFirstAdmin with reset.
	standard model.Config
}

// localStrategy is the name of the user name and password strategy.
const localStrategy = "local"

// startSecurity opens the security definitions on the node's store (Kuzzle's
// bootstrap ones on a new store) and the token manager, whose secret is
// kept in the store, and returns the guard the dispatcher admits requests
// with.
func (n *Node) startSecurity(cfg *config.Config) (*guard.Guard, error) {
	ctx, cancel := context.WithTimeout(context.Background(), askTimeout)
	defer cancel()
	shared := cfg.Storage.Engine == "postgres" // other nodes may share the database
	repo, err := repository.Open(ctx, n.store, repository.Config{Shared: shared})
	if err != nil {
		return nil, fmt.Errorf("start security: %w", err)
	}
	tcfg := token.DefaultConfig()
	at := cfg.Security.AuthToken
	tcfg.Algorithm, tcfg.ExpiresIn, tcfg.GracePeriod, tcfg.MaxTTL = at.Algorithm, at.ExpiresIn, at.GracePeriod, at.MaxTTL
	tcfg.APIKeyMaxTTL = cfg.Security.APIKeyMaxTTL
	if at.Secret != "" {
		tcfg.Secret = []byte(at.Secret)
	} else {
		if tcfg.Secret, err = repo.Secret(ctx, token.GenerateSecret); err != nil {
			return nil, fmt.Errorf("start security: %w", err)
		}
		n.log.Warn("tokens are signed with a secret generated and kept in the store: set security.authToken.secret in production")
	}
	topts := token.Options{Logger: n.log, OnEnd: n.tokenGone(repo)}
	if shared {
		topts.Lookup = lookupToken(repo)
	}
	tokens, err := token.NewManager(tcfg, topts)
	if err != nil {
		return nil, fmt.Errorf("start security: %w", err)
	}
	restored, err := restoreTokens(ctx, repo, tokens, time.Now())
	if err != nil {
		tokens.Close()
		return nil, fmt.Errorf("start security: %w", err)
	}
	n.log.Debug("tokens restored", "count", restored)
	localAuth, err := openLocal(ctx, n, cfg.Security.Local)
	if err != nil {
		tokens.Close()
		return nil, fmt.Errorf("start security: %w", err)
	}
	standard, err := standardSecurity(cfg.Security.Standard)
	if err != nil {
		tokens.Close()
		return nil, fmt.Errorf("start security: %w", err)
	}
	n.security = &security{
		repo: repo, tokens: tokens, strategies: map[string]auth.Strategy{localStrategy: localAuth},
		standard: model.Defaults(standard).Standard,
	}
	return guard.New(tokens, repo, guard.Config{Link: n.links.link, LoginsPerSecond: cfg.Limits.LoginsPerSecond}), nil
}

// stopSecurity ends the token manager's timers.
func (n *Node) stopSecurity() {
	if n.security != nil {
		n.security.tokens.Close()
	}
}

// securityControllers are the auth and security controllers on the node's
// security.
func (n *Node) securityControllers(cfg *config.Config) []api.Controller {
	return []api.Controller{
		auth.Controller(auth.Deps{
			Tokens: n.security.tokens, Security: n.security.repo, Strategies: n.security.strategies,
			Credentials: myCredentials{credentials{n.security.strategies}}, Logger: n.log,
		}),
		securityctl.Controller(n.securityDeps(cfg)),
	}
}

// securityDeps are the security controller's dependencies.
func (n *Node) securityDeps(cfg *config.Config) securityctl.Deps {
	return securityctl.Deps{
		Security: n.security.repo, Store: n.store, Tokens: n.security.tokens,
		Credentials: credentials{n.security.strategies}, Logger: n.log,
		Standard: n.security.standard,
		Config: securityctl.Config{
			FetchCount: cfg.Limits.DocumentsFetchCount, WriteCount: cfg.Limits.DocumentsWriteCount,
			MaxScrollTTL: cfg.Storage.MaxScrollTTL, RestrictedProfileIDs: cfg.Security.RestrictedProfileIDs,
		},
	}
}

// withSecurityAdmin puts the security controller's admin:loadSecurities and
// admin:resetSecurity in the admin controller.
func (n *Node) withSecurityAdmin(cfg *config.Config) {
	for _, c := range n.controllers {
		if c.Name == "admin" {
			maps.Copy(c.Actions, securityctl.AdminActions(n.securityDeps(cfg)))
		}
	}
}

// credentials are the strategies as the security controller sees them.
type credentials struct{ strategies map[string]auth.Strategy }

func (c credentials) local(strategy string) (*localLogin, error) {
	l, ok := c.strategies[strategy].(*localLogin)
	if !ok {
		return nil, kerror.New("security.credentials.unknown_strategy", strategy)
	}
	return l, nil
}

// Strategies implements securityctl.Credentials.
func (c credentials) Strategies() []string { return slices.Sorted(maps.Keys(c.strategies)) }

// Exists implements securityctl.Credentials.
func (c credentials) Exists(ctx context.Context, strategy, kuid string) (bool, error) {
	l, err := c.local(strategy)
	if err != nil {
		return false, err
	}
	return l.Strategy.Exists(ctx, kuid)
}

// Validate implements securityctl.Credentials.
func (c credentials) Validate(ctx context.Context, strategy, kuid string, body jsonx.RawMessage) error {
	l, err := c.local(strategy)
	if err != nil {
		return err
	}
	return l.Strategy.Validate(ctx, kuid, body, false)
}

// Create implements securityctl.Credentials.
func (c credentials) Create(ctx context.Context, strategy, kuid string, body jsonx.RawMessage) error {
	l, err := c.local(strategy)
	if err != nil {
		return err
	}
	_, err = l.Strategy.Create(ctx, kuid, body, api.CallerOf(ctx).UserID)
	return err
}

// Delete implements securityctl.Credentials.
func (c credentials) Delete(ctx context.Context, strategy, kuid string) error {
	l, err := c.local(strategy)
	if err != nil {
		return err
	}
	return l.Strategy.Delete(ctx, kuid)
}

// Update implements securityctl.Credentials: validation as an update,
// then the update.
func (c credentials) Update(ctx context.Context, strategy, kuid string, body jsonx.RawMessage) (any, error) {
	l, err := c.local(strategy)
	if err != nil {
		return nil, err
	}
	if err := l.Strategy.Validate(ctx, kuid, body, true); err != nil {
		return nil, err
	}
	return l.Strategy.Update(ctx, kuid, body, api.CallerOf(ctx).UserID)
}

// GetInfo implements securityctl.Credentials.
func (c credentials) GetInfo(ctx context.Context, strategy, kuid string) (any, error) {
	l, err := c.local(strategy)
	if err != nil {
		return nil, err
	}
	return l.Strategy.GetInfo(ctx, kuid)
}

// GetByID implements securityctl.Credentials: the local strategy's ids
// are usernames.
func (c credentials) GetByID(ctx context.Context, strategy, username string) (any, error) {
	l, err := c.local(strategy)
	if err != nil {
		return nil, err
	}
	return l.Strategy.GetByUsername(ctx, username)
}

// Search implements securityctl.Credentials.
func (c credentials) Search(ctx context.Context, strategy string, body jsonx.RawMessage, from, size int) (any, error) {
	l, err := c.local(strategy)
	if err != nil {
		return nil, err
	}
	return l.Strategy.Search(ctx, body, from, size)
}

// Fields implements securityctl.Credentials: the local strategy's are a
// username and a password.
func (c credentials) Fields(strategy string) []string {
	if _, err := c.local(strategy); err != nil {
		return nil
	}
	return []string{"username", "password"}
}

// mqttUserForToken is the CONNECT user name whose password is a token.
const mqttUserForToken = "jwt"

// mqttAuthenticator checks MQTT CONNECT credentials: the user name "jwt"
// with a token as password, or a user name and password of the local
// strategy, for which a token is issued. Without a user name the client is
// anonymous, unless require.
func (n *Node) mqttAuthenticator(require bool) func(string, []byte, bool) (string, error) {
	return func(username string, password []byte, hasUsername bool) (string, error) {
		switch {
		case !hasUsername && require:
			return "", mqtt.ErrNotAuthorized
		case !hasUsername:
			return "", nil
		case username == mqttUserForToken:
			t, err := n.security.tokens.Verify(string(password))
			if err != nil || t.UserID == api.AnonymousUserID {
				return "", mqtt.ErrBadCredentials
			}
			return t.JWT, nil
		}
		strategy := n.security.strategies[localStrategy]
		if strategy == nil {
			return "", mqtt.ErrBadCredentials
		}
		credentials, err := jsonx.Marshal(map[string]string{"username": username, "password": string(password)})
		if err != nil {
			return "", mqtt.ErrBadCredentials
		}
		ctx, cancel := context.WithTimeout(context.Background(), askTimeout)
		defer cancel()
		kuid, err := strategy.Verify(ctx, credentials)
		if kerr := (*kerror.Error)(nil); errors.As(err, &kerr) && kerr.ID == "api.process.overloaded" {
			return "", mqtt.ErrServerBusy
		}
		if err != nil {
			return "", mqtt.ErrBadCredentials
		}
		t, err := n.security.tokens.Issue(kuid, token.IssueOptions{})
		if err == nil {
			err = n.keepToken(t)
		}
		if err != nil {
			n.log.Warn("MQTT login: no token issued", "user", kuid, "error", err)
			return "", mqtt.ErrNotAuthorized
		}
		n.pipes.loginHooks(kuid, t.JWT)
		return t.JWT, nil
	}
}

// openLocal opens the local strategy (user names and passwords) on the
// node's store.
func openLocal(ctx context.Context, n *Node, cfg config.LocalStrategy) (*localLogin, error) {
	cost := password.DefaultConfig()
	cost.Memory, cost.Iterations, cost.Parallelism = uint32(cfg.Argon2.Memory), uint32(cfg.Argon2.Iterations), uint8(cfg.Argon2.Parallelism)
	hasher, err := password.NewHasher(cost)
	if err != nil {
		return nil, err
	}
	policies, err := password.NewPolicies(passwordPolicies(cfg.PasswordPolicies))
	if err != nil {
		return nil, fmt.Errorf("plugins.%s.passwordPolicies: %w", "kuzzle-plugin-auth-passport-local", err)
	}
	s, err := local.New(ctx, n.store, hasher, policies, local.Options{})
	if err != nil {
		return nil, err
	}
	return &localLogin{s}, nil
}

// localLogin is the local strategy as the auth controller sees it.
type localLogin struct{ *local.Strategy }

// Verify checks a login body {username, password}.
func (l *localLogin) Verify(ctx context.Context, credentials jsonx.RawMessage) (string, error) {
	var body struct {
		Username *string `json:"username"`
		Password *string `json:"password"`
	}
	if err := jsonx.Unmarshal(credentials, &body); err != nil || body.Username == nil || body.Password == nil {
		return "", kerror.New("plugin.strategy.missing_user", "Missing credentials")
	}
	return l.Strategy.Verify(ctx, *body.Username, *body.Password)
}
