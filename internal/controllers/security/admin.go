package security

import (
	"context"
	"maps"
	"slices"

	"github.com/starlingmq/starling/internal/api"
	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/kerror"
)

// AdminActions returns admin:loadSecurities and admin:resetSecurity, which
// Kuzzle's admin controller runs through the security controller's own
// actions; the node puts them in its admin controller.
func AdminActions(d Deps) map[string]api.Action {
	c := newController(d)
	return map[string]api.Action{"loadSecurities": c.loadSecurities, "resetSecurity": c.resetSecurity}
}

// resetSecurity deletes every user (with its credentials and tokens),
// profile and role, and writes the bootstrap roles and profiles again.
func (c *controller) resetSecurity(ctx context.Context, _ *api.Request) (any, error) {
	ids, err := c.Security.UserIDs(ctx)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		if err := c.removeUser(ctx, id); err != nil {
			return nil, err
		}
	}
	roles, profiles, err := c.Security.Reset(ctx)
	if err != nil {
		return nil, err
	}
	return map[string]int{"deletedUsers": len(ids), "deletedProfiles": profiles, "deletedRoles": roles}, nil
}

// securities is loadSecurities' body: roles, profiles and users by id.
type securities struct {
	Roles    map[string]jsonx.RawMessage `json:"roles"`
	Profiles map[string]jsonx.RawMessage `json:"profiles"`
	Users    map[string]jsonx.RawMessage `json:"users"`
}

// loadSecurities creates or replaces roles and profiles and creates users,
// as Kuzzle's SecurityLoader: existing users fail the load
// (onExistingUsers "fail", the default), are skipped ("skip") or deleted
// first ("overwrite").
func (c *controller) loadSecurities(ctx context.Context, req *api.Request) (any, error) {
	body, kerr := req.BodyObject()
	if kerr != nil {
		return nil, kerr
	}
	var load securities
	if err := jsonx.Unmarshal(body, &load); err != nil {
		return nil, kerror.New("api.assert.invalid_type", "body", "object")
	}
	onExisting, kerr := req.StringOr("onExistingUsers", "fail")
	if kerr != nil {
		return nil, kerr
	}
	force, kerr := req.Boolean("force")
	if kerr != nil {
		return nil, kerr
	}
	if err := c.loadEach(ctx, req, "createOrReplaceRole", load.Roles, force); err != nil {
		return nil, err
	}
	if err := c.loadEach(ctx, req, "createOrReplaceProfile", load.Profiles, false); err != nil {
		return nil, err
	}
	users, err := c.usersToLoad(ctx, load.Users, onExisting)
	if err != nil {
		return nil, err
	}
	if err := c.loadEach(ctx, req, "createUser", users, false); err != nil {
		return nil, err
	}
	return map[string]bool{"acknowledge": true}, nil
}

// usersToLoad applies onExistingUsers to the users about to be created.
func (c *controller) usersToLoad(ctx context.Context, users map[string]jsonx.RawMessage, onExisting string) (map[string]jsonx.RawMessage, error) {
	if onExisting != "fail" && onExisting != "skip" && onExisting != "overwrite" {
		return nil, kerror.New("api.assert.unexpected_argument", "onExistingUsers", `"skip", "overwrite", "fail"`)
	}
	out := map[string]jsonx.RawMessage{}
	for _, id := range slices.Sorted(maps.Keys(users)) {
		if _, err := c.Security.User(ctx, id); err != nil {
			out[id] = users[id]
			continue
		}
		switch onExisting {
		case "fail":
			return nil, kerror.New("security.user.prevent_overwrite")
		case "overwrite":
			if err := c.removeUser(ctx, id); err != nil {
				return nil, err
			}
			out[id] = users[id]
		}
	}
	return out, nil
}

// loadEach runs a security action on each object of a load, in id order.
func (c *controller) loadEach(ctx context.Context, req *api.Request, action string, objects map[string]jsonx.RawMessage, force bool) error {
	run := c.actions()[action]
	for _, id := range slices.Sorted(maps.Keys(objects)) {
		payload, err := jsonx.Marshal(map[string]any{
			"controller": "security", "action": action, "_id": id, "body": objects[id], "force": force,
		})
		if err != nil {
			return err
		}
		one, kerr := api.Parse(payload, req.Connection)
		if kerr != nil {
			return kerr
		}
		if _, err := run(ctx, one); err != nil {
			return err
		}
	}
	return nil
}
