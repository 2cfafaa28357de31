package auth

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/starlingmq/starling/internal/api"
	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/kerror"
	"github.com/starlingmq/starling/internal/security"
	"github.com/starlingmq/starling/internal/security/repository"
	"github.com/starlingmq/starling/internal/security/token"
)

// Strategy is an authentication strategy.
type Strategy interface {
	// Verify checks the credentials of a login (its body) and returns the
	// kuid they belong to, or the strategy's refusal.
	Verify(ctx context.Context, credentials jsonx.RawMessage) (string, error)
	// Exists reports whether kuid has credentials of this strategy.
	Exists(ctx context.Context, kuid string) (bool, error)
}

// Deps are what the controller works with.
type Deps struct {
	// Tokens issues, checks and revokes tokens.
	Tokens *token.Manager
	// Security holds users, profiles and roles.
	Security *repository.Repository
	// Strategies are the authentication strategies by name.
	Strategies map[string]Strategy
	// Credentials are the strategies' credentials of the caller; nil:
	// the *MyCredentials actions answer as for an unknown strategy.
	Credentials Credentials
	// Logger receives the "[SECURITY]" audit line of updateSelf
	// (slog.Default when nil).
	Logger *slog.Logger
}

// Controller returns the auth controller.
func Controller(d Deps) api.Controller {
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	c := &controller{Deps: d}
	return api.Controller{Name: "auth", Actions: map[string]api.Action{
		"login":          c.login,
		"logout":         c.logout,
		"checkToken":     c.checkToken,
		"refreshToken":   c.refreshToken,
		"getCurrentUser": c.getCurrentUser,
		"getMyRights":    c.getMyRights,
		"getStrategies":  c.getStrategies,

		"createToken":           c.createToken,
		"createApiKey":          c.createAPIKey,
		"searchApiKeys":         c.searchAPIKeys,
		"deleteApiKey":          c.deleteAPIKey,
		"updateSelf":            c.updateSelf,
		"credentialsExist":      c.credentialsExist,
		"getMyCredentials":      c.getMyCredentials,
		"validateMyCredentials": c.validateMyCredentials,
		"createMyCredentials":   c.createMyCredentials,
		"updateMyCredentials":   c.updateMyCredentials,
		"deleteMyCredentials":   c.deleteMyCredentials,
	}}
}

type controller struct{ Deps }

// tokenResult is a token as login and refreshToken answer it.
func tokenResult(t token.Token) map[string]any {
	return map[string]any{"_id": t.UserID, "expiresAt": t.ExpiresAtMillis(), "jwt": t.JWT, "ttl": t.TTLMillis()}
}

func (c *controller) login(ctx context.Context, req *api.Request) (any, error) {
	name, ok, kerr := req.String("strategy")
	if kerr != nil {
		return nil, kerr
	}
	if !ok || name == "" {
		return nil, kerror.New("api.assert.missing_argument", "strategy")
	}
	strategy := c.Strategies[name]
	if strategy == nil {
		return nil, kerror.New("security.credentials.unknown_strategy", name)
	}
	expiresIn, kerr := expiresInArg(req)
	if kerr != nil {
		return nil, kerr
	}
	kuid, err := strategy.Verify(ctx, req.Body)
	if err != nil {
		return nil, err
	}
	t, err := c.issue(ctx, kuid, token.IssueOptions{ExpiresIn: expiresIn})
	if err != nil {
		return nil, err
	}
	return tokenResult(t), nil
}

// expiresInArg reads the expiresIn argument: 0 when absent (the
// configured default).
func expiresInArg(req *api.Request) (time.Duration, *kerror.Error) {
	raw := req.Arg("expiresIn")
	if len(raw) == 0 || string(raw) == "null" {
		return 0, nil
	}
	if ms, err := strconv.ParseFloat(string(raw), 64); err == nil {
		if ms == 0 {
			return 0, token.InvalidExpiresIn()
		}
		return token.MillisDuration(ms), nil
	}
	var s string
	if err := jsonx.Unmarshal(raw, &s); err != nil {
		return 0, token.InvalidExpiresIn()
	}
	d, ok := token.ParseTimespan(s)
	if !ok {
		return 0, token.InvalidExpiresIn()
	}
	return d, nil
}

func (c *controller) logout(ctx context.Context, req *api.Request) (any, error) {
	caller := api.CallerOf(ctx)
	if caller.UserID == api.AnonymousUserID {
		return nil, kerror.New("security.rights.unauthorized", req.Controller, req.Action)
	}
	global, kerr := req.Boolean("global")
	if kerr != nil {
		return nil, kerr
	}
	if global {
		c.Tokens.RevokeUser(caller.UserID, true)
	} else if t, err := c.Tokens.Verify(caller.Token); err == nil && t.Type != token.APIKey {
		c.Tokens.Revoke(caller.Token)
	}
	return map[string]bool{"acknowledged": true}, nil
}

func (c *controller) checkToken(_ context.Context, req *api.Request) (any, error) {
	raw, _ := req.BodyField("token")
	var jwt string
	if len(raw) > 0 && string(raw) != "null" {
		if err := jsonx.Unmarshal(raw, &jwt); err != nil {
			return nil, kerror.New("api.assert.invalid_type", "body.token", "string")
		}
	}
	t, err := c.Tokens.Verify(jwt)
	if err != nil {
		var kerr *kerror.Error
		if errors.As(err, &kerr) && kerr.Status == 401 {
			return map[string]any{"state": kerr.Message, "valid": false}, nil
		}
		return nil, err
	}
	return map[string]any{"expiresAt": t.ExpiresAtMillis(), "kuid": t.UserID, "valid": true}, nil
}

func (c *controller) refreshToken(ctx context.Context, req *api.Request) (any, error) {
	caller := api.CallerOf(ctx)
	if caller.UserID == api.AnonymousUserID {
		return nil, kerror.New("security.rights.unauthorized", req.Controller, req.Action)
	}
	expiresIn, kerr := expiresInArg(req)
	if kerr != nil {
		return nil, kerr
	}
	t, err := c.Tokens.Refresh(caller.Token, expiresIn)
	if err != nil {
		return nil, err
	}
	if err := c.keep(ctx, t); err != nil {
		return nil, err
	}
	// The old token lives on for the grace period only, across a restart
	// too; if that cannot be stored, it ends now.
	if old, ok := c.Tokens.Current(caller.Token); ok {
		if err := c.Security.SaveToken(ctx, stored(old)); err != nil {
			c.Tokens.Revoke(old.JWT)
		} else {
			c.Tokens.Changed(old.JWT) // other nodes read its deadline again
		}
	}
	return tokenResult(t), nil
}

func (c *controller) getCurrentUser(ctx context.Context, _ *api.Request) (any, error) {
	caller := api.CallerOf(ctx)
	u, err := c.Security.User(ctx, caller.UserID)
	if err != nil {
		return nil, err
	}
	strategies := []string{}
	if caller.UserID != api.AnonymousUserID {
		for _, name := range slices.Sorted(maps.Keys(c.Strategies)) {
			ok, err := c.Strategies[name].Exists(ctx, caller.UserID)
			if err != nil {
				return nil, err
			}
			if ok {
				strategies = append(strategies, name)
			}
		}
	}
	return map[string]any{"_id": u.ID, "_source": u, "strategies": strategies}, nil
}

func (c *controller) getMyRights(ctx context.Context, _ *api.Request) (any, error) {
	p, err := c.Security.Principal(ctx, api.CallerOf(ctx).UserID)
	if err != nil {
		return nil, err
	}
	hits, err := p.Rights()
	if err != nil {
		return nil, err
	}
	if hits == nil {
		hits = []security.RightsItem{}
	}
	return map[string]any{"hits": hits, "total": len(hits)}, nil
}

func (c *controller) getStrategies(context.Context, *api.Request) (any, error) {
	return slices.Sorted(maps.Keys(c.Strategies)), nil
}
