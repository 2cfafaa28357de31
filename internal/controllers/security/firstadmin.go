package security

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/starlingmq/starling/internal/api"
	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/kerror"
	model "github.com/starlingmq/starling/internal/security"
	"github.com/starlingmq/starling/internal/security/repository"
	"github.com/starlingmq/starling/internal/store"
	"github.com/starlingmq/starling/internal/store/query"
)

// adminProfile is the profile whose users are administrators.
const adminProfile = "admin"

// createFirstAdmin creates a user with the admin profile, and its
// credentials, while no user has that profile (api.process.admin_exists
// otherwise); with reset, the built-in roles and profiles are then
// replaced by security.standard's, as restrictDefaultRights does.
func (c *controller) createFirstAdmin(ctx context.Context, req *api.Request) (any, error) {
	exists, err := c.adminExists(ctx)
	if err != nil {
		return nil, err
	}
	if exists {
		return nil, kerror.New("api.process.admin_exists")
	}
	raw, kerr := bodyObjectOr(req, "content", jsonx.RawMessage("{}"))
	if kerr != nil {
		return nil, kerr
	}
	reset, kerr := req.Boolean("reset")
	if kerr != nil {
		return nil, kerr
	}
	var content map[string]jsonx.RawMessage
	if err := jsonx.Unmarshal(raw, &content); err != nil {
		return nil, kerror.New("api.assert.invalid_type", "body.content", "object")
	}
	if _, ok := content["profileIds"]; ok {
		return nil, kerror.New("api.assert.forbidden_argument", "body.content.profileIds")
	}
	content["profileIds"] = jsonx.RawMessage(`["` + adminProfile + `"]`)
	user, err := c.persistUser(ctx, req, content)
	if err != nil {
		return nil, err
	}
	if reset {
		if err := c.resetRights(ctx); err != nil {
			return nil, err
		}
	}
	c.Logger.Info("[SECURITY] applied action", "user", kuid(ctx), "action", req.Action)
	return user, nil
}

// adminExists is Kuzzle's UserRepository.adminExists: whether a user has
// the admin profile.
func (c *controller) adminExists(ctx context.Context) (bool, error) {
	m, err := c.Store.Mapping(ctx, repository.Index, repository.Users)
	if err != nil {
		return false, fmt.Errorf("read the users mapping: %w", err)
	}
	q, err := query.ParseQuery(jsonx.RawMessage(`{"term":{"profileIds":"`+adminProfile+`"}}`), "elasticsearch", m)
	if err != nil {
		return false, fmt.Errorf("the admin query: %w", err)
	}
	n, err := c.Store.Count(ctx, repository.Index, repository.Users, q)
	if err != nil {
		return false, fmt.Errorf("count the admin users: %w", err)
	}
	return n > 0, nil
}

// restrictDefaultRights writes security.standard's roles, then its
// profiles, over the ones of the same ids; it answers null.
func (c *controller) restrictDefaultRights(ctx context.Context, _ *api.Request) (any, error) {
	return nil, c.resetRights(ctx)
}

// resetRights writes the standard roles then profiles (createOrReplace),
// in id order.
func (c *controller) resetRights(ctx context.Context) error {
	standard := c.Standard
	if standard.StandardRoles == nil && standard.StandardProfiles == nil {
		standard = model.DefaultConfig()
	}
	author := kuid(ctx)
	for _, id := range slices.Sorted(maps.Keys(standard.StandardRoles)) {
		role := *standard.StandardRoles[id]
		role.ID = id
		if _, err := c.Security.PutRole(ctx, &role, store.OpCreateOrReplace, author); err != nil {
			return fmt.Errorf("restrict the role %s: %w", id, err)
		}
	}
	for _, id := range slices.Sorted(maps.Keys(standard.StandardProfiles)) {
		profile := *standard.StandardProfiles[id]
		profile.ID = id
		if _, err := c.Security.PutProfile(ctx, &profile, store.OpCreateOrReplace, author); err != nil {
			return fmt.Errorf("restrict the profile %s: %w", id, err)
		}
	}
	c.Logger.Info("[SECURITY] restricted rights of the default roles", "user", author)
	return nil
}
