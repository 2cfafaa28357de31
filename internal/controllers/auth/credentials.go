package auth

import (
	"context"
	"errors"

	"github.com/starlingmq/starling/internal/api"
	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/kerror"
	"github.com/starlingmq/starling/internal/security"
	"github.com/starlingmq/starling/internal/store"
)

// Credentials are the strategies' credentials of a user, as Kuzzle's
// strategy plugins expose them. Errors that are *kerror.Error reach the
// client as they are; others become plugin.runtime.unexpected_error.
type Credentials interface {
	// Exists reports whether kuid has credentials of strategy.
	Exists(ctx context.Context, strategy, kuid string) (bool, error)
	// Validate checks credentials for kuid (isUpdate: before Update).
	Validate(ctx context.Context, strategy, kuid string, credentials jsonx.RawMessage, isUpdate bool) error
	// Create stores kuid's credentials and returns what the strategy
	// answers (the local strategy: {username, kuid}).
	Create(ctx context.Context, strategy, kuid string, credentials jsonx.RawMessage) (any, error)
	// Update changes kuid's credentials and returns the strategy's answer.
	Update(ctx context.Context, strategy, kuid string, credentials jsonx.RawMessage) (any, error)
	// Delete removes kuid's credentials.
	Delete(ctx context.Context, strategy, kuid string) error
	// Info returns what the strategy tells of kuid's credentials.
	Info(ctx context.Context, strategy, kuid string) (any, error)
}

// myStrategy asserts an authenticated caller and a registered strategy
// argument, and returns the caller's kuid and the strategy.
func (c *controller) myStrategy(ctx context.Context, req *api.Request) (kuid, strategy string, err error) {
	kuid = api.CallerOf(ctx).UserID
	if kuid == api.AnonymousUserID {
		return "", "", kerror.New("security.rights.unauthorized", req.Controller, req.Action)
	}
	strategy, ok, kerr := req.String("strategy")
	if kerr != nil {
		return "", "", kerr
	}
	if !ok {
		return "", "", kerror.New("api.assert.missing_argument", "strategy")
	}
	if c.Strategies[strategy] == nil || c.Credentials == nil {
		return "", "", kerror.New("security.credentials.unknown_strategy", strategy)
	}
	return kuid, strategy, nil
}

// pluginError passes Kuzzle errors on and wraps the others, as Kuzzle's
// wrapPluginError.
func pluginError(err error) error {
	var kerr *kerror.Error
	if err == nil || errors.As(err, &kerr) {
		return err
	}
	return kerror.New("plugin.runtime.unexpected_error", err.Error())
}

// credentialsBody is the request's body, api.assert.body_required when
// absent.
func credentialsBody(req *api.Request) (jsonx.RawMessage, error) {
	if req.Body == nil {
		return nil, kerror.New("api.assert.body_required")
	}
	return req.Body, nil
}

func (c *controller) credentialsExist(ctx context.Context, req *api.Request) (any, error) {
	kuid, strategy, err := c.myStrategy(ctx, req)
	if err != nil {
		return nil, err
	}
	ok, err := c.Credentials.Exists(ctx, strategy, kuid)
	return ok, pluginError(err)
}

func (c *controller) getMyCredentials(ctx context.Context, req *api.Request) (any, error) {
	kuid, strategy, err := c.myStrategy(ctx, req)
	if err != nil {
		return nil, err
	}
	info, err := c.Credentials.Info(ctx, strategy, kuid)
	return info, pluginError(err)
}

func (c *controller) validateMyCredentials(ctx context.Context, req *api.Request) (any, error) {
	kuid, strategy, err := c.myStrategy(ctx, req)
	if err != nil {
		return nil, err
	}
	body, err := credentialsBody(req)
	if err != nil {
		return nil, err
	}
	if err := c.Credentials.Validate(ctx, strategy, kuid, body, false); err != nil {
		return nil, pluginError(err)
	}
	return true, nil
}

func (c *controller) createMyCredentials(ctx context.Context, req *api.Request) (any, error) {
	return c.writeMyCredentials(ctx, req, false)
}

func (c *controller) updateMyCredentials(ctx context.Context, req *api.Request) (any, error) {
	return c.writeMyCredentials(ctx, req, true)
}

// writeMyCredentials validates then creates or updates the caller's
// credentials.
func (c *controller) writeMyCredentials(ctx context.Context, req *api.Request, update bool) (any, error) {
	kuid, strategy, err := c.myStrategy(ctx, req)
	if err != nil {
		return nil, err
	}
	body, err := credentialsBody(req)
	if err != nil {
		return nil, err
	}
	if err := c.Credentials.Validate(ctx, strategy, kuid, body, update); err != nil {
		return nil, pluginError(err)
	}
	var res any
	if update {
		res, err = c.Credentials.Update(ctx, strategy, kuid, body)
	} else {
		res, err = c.Credentials.Create(ctx, strategy, kuid, body)
	}
	return res, pluginError(err)
}

func (c *controller) deleteMyCredentials(ctx context.Context, req *api.Request) (any, error) {
	kuid, strategy, err := c.myStrategy(ctx, req)
	if err != nil {
		return nil, err
	}
	if err := c.Credentials.Delete(ctx, strategy, kuid); err != nil {
		return nil, pluginError(err)
	}
	return map[string]bool{"acknowledged": true}, nil
}

// updateSelf changes the caller's own content; _id and profileIds are
// refused (api.assert.forbidden_argument).
func (c *controller) updateSelf(ctx context.Context, req *api.Request) (any, error) {
	kuid := api.CallerOf(ctx).UserID
	if kuid == api.AnonymousUserID {
		return nil, kerror.New("security.rights.unauthorized", req.Controller, req.Action)
	}
	if req.Body == nil {
		return nil, kerror.New("api.assert.body_required")
	}
	for _, field := range []string{"_id", "profileIds"} {
		raw, kerr := req.BodyField(field)
		if kerr != nil {
			return nil, kerr
		}
		if truthy(raw) {
			return nil, kerror.New("api.assert.forbidden_argument", "body."+field)
		}
	}
	if _, kerr := req.Integer("retryOnConflict", api.Int(10)); kerr != nil {
		return nil, kerr
	}
	current, err := c.Security.User(ctx, kuid)
	if err != nil {
		return nil, err
	}
	u, err := security.ParseUserUpdate(current, req.Body)
	if err != nil {
		return nil, err
	}
	if _, err := c.Security.PutUser(ctx, u, store.OpUpdate, kuid); err != nil {
		return nil, err
	}
	c.Logger.Info(`[SECURITY] User "` + kuid + `" applied action "updateSelf" on user "` + kuid + `".`)
	return map[string]any{"_id": u.ID, "_source": u}, nil
}

// truthy is JavaScript's truthiness of a JSON value (Kuzzle's
// assertBodyHasNotAttributes tests the value, not its presence).
func truthy(raw jsonx.RawMessage) bool {
	switch string(raw) {
	case "", "null", "false", "0", `""`:
		return false
	}
	return true
}
