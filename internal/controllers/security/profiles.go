package security

import (
	"context"
	"strings"

	"github.com/starlingmq/starling/internal/api"
	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/kerror"
	model "github.com/starlingmq/starling/internal/security"
	"github.com/starlingmq/starling/internal/security/repository"
	"github.com/starlingmq/starling/internal/store"
)

func (c *controller) createProfile(ctx context.Context, req *api.Request) (any, error) {
	return c.putProfile(ctx, req, store.OpCreate)
}

func (c *controller) createOrReplaceProfile(ctx context.Context, req *api.Request) (any, error) {
	return c.putProfile(ctx, req, store.OpCreateOrReplace)
}

// putProfile reads _id, the body (which must hold a policies array) and
// strict, checks the profile as Kuzzle's ProfileRepository and writes it.
func (c *controller) putProfile(ctx context.Context, req *api.Request, kind store.OpKind) (any, error) {
	id, kerr := req.DocumentID()
	if kerr != nil {
		return nil, kerr
	}
	raw, kerr := body(req)
	if kerr != nil {
		return nil, kerr
	}
	profile, err := model.ParseProfile(id, raw)
	if err != nil {
		return nil, err
	}
	return c.saveProfile(ctx, req, profile, kind)
}

// saveProfile checks that the profile's roles exist and, with strict,
// that its restrictions name existing indexes and collections, then
// writes it.
func (c *controller) saveProfile(ctx context.Context, req *api.Request, profile *model.Profile, kind store.OpKind) (any, error) {
	strict, kerr := req.Boolean("strict")
	if kerr != nil {
		return nil, kerr
	}
	for _, policy := range profile.Policies {
		if _, err := c.Security.Role(policy.RoleID); err != nil {
			return nil, err
		}
	}
	if strict {
		if err := c.checkRestrictions(ctx, profile); err != nil {
			return nil, err
		}
	}
	res, err := c.Security.PutProfile(ctx, profile, kind, kuid(ctx))
	if err != nil {
		return nil, err
	}
	c.audit(ctx, req, "profile", profile.ID)
	source, err := withOptimizedPolicies(res.Source)
	if err != nil {
		return nil, err
	}
	return serialized(profile.ID, source), nil
}

// checkRestrictions is the strict part of Kuzzle's
// Profile.validateDefinition: every restricted index must exist
// (services.storage.unknown_index), and the collections it lists
// (services.storage.unknown_collection names those missing).
func (c *controller) checkRestrictions(ctx context.Context, profile *model.Profile) error {
	for _, policy := range profile.Policies {
		for _, restriction := range policy.RestrictedTo {
			ok, err := c.Store.HasIndex(ctx, restriction.Index)
			if err != nil {
				return err
			}
			if !ok {
				return kerror.New("services.storage.unknown_index", restriction.Index)
			}
			var missing []string
			for _, collection := range restriction.Collections {
				ok, err := c.Store.HasCollection(ctx, restriction.Index, collection)
				if err != nil {
					return err
				}
				if !ok {
					missing = append(missing, collection)
				}
			}
			if missing != nil {
				return kerror.New("services.storage.unknown_collection", restriction.Index, strings.Join(missing, ","))
			}
		}
	}
	return nil
}

// updateProfile merges the body's top-level keys into the profile and
// writes the result.
func (c *controller) updateProfile(ctx context.Context, req *api.Request) (any, error) {
	id, kerr := req.DocumentID()
	if kerr != nil {
		return nil, kerr
	}
	raw, kerr := body(req)
	if kerr != nil {
		return nil, kerr
	}
	if _, kerr := req.Integer("retryOnConflict", api.Int(10)); kerr != nil {
		return nil, kerr
	}
	current, err := c.Security.Profile(id)
	if err != nil {
		return nil, err
	}
	profile, err := model.UpdateProfile(current, raw)
	if err != nil {
		return nil, err
	}
	return c.saveProfile(ctx, req, profile, store.OpUpdate)
}

// withOptimizedPolicies adds to a stored profile the optimizedPolicies
// Kuzzle's loaded profiles carry: {roleId} per policy, with restrictedTo
// (a Map in Kuzzle, so {} once encoded) when the policy has restrictions.
func withOptimizedPolicies(source jsonx.RawMessage) (jsonx.RawMessage, error) {
	var stored struct {
		Policies []struct {
			RoleID       string `json:"roleId"`
			RestrictedTo []any  `json:"restrictedTo"`
		} `json:"policies"`
	}
	if err := jsonx.Unmarshal(source, &stored); err != nil {
		return nil, kerror.New("services.storage.unexpected_error", "decode a stored profile: "+err.Error())
	}
	optimized := make([]map[string]any, len(stored.Policies))
	for i, p := range stored.Policies {
		optimized[i] = map[string]any{"roleId": p.RoleID}
		if p.RestrictedTo != nil {
			optimized[i]["restrictedTo"] = map[string]any{}
		}
	}
	return withField(source, "optimizedPolicies", optimized)
}

// emptyOptimizedPolicies adds the empty optimizedPolicies Kuzzle's
// profiles from a search carry.
func emptyOptimizedPolicies(source jsonx.RawMessage) (jsonx.RawMessage, error) {
	return withField(source, "optimizedPolicies", []any{})
}

// withField returns the object source with key set to value.
func withField(source jsonx.RawMessage, key string, value any) (jsonx.RawMessage, error) {
	var fields map[string]jsonx.RawMessage
	if err := jsonx.Unmarshal(source, &fields); err != nil {
		return nil, kerror.New("services.storage.unexpected_error", "decode a stored document: "+err.Error())
	}
	encoded, err := jsonx.Marshal(value)
	if err != nil {
		return nil, err
	}
	fields[key] = encoded
	return jsonx.Marshal(fields)
}

func (c *controller) getProfile(ctx context.Context, req *api.Request) (any, error) {
	id, kerr := req.DocumentID()
	if kerr != nil {
		return nil, kerr
	}
	doc, err := c.document(ctx, repository.Profiles, id, "security.profile.not_found")
	if err != nil {
		return nil, err
	}
	source, err := withOptimizedPolicies(doc.Source)
	if err != nil {
		return nil, err
	}
	return serialized(id, source), nil
}

// mGetProfiles answers {hits} of the profiles body.ids names; a missing
// one is security.profile.not_found.
func (c *controller) mGetProfiles(ctx context.Context, req *api.Request) (any, error) {
	array, kerr := bodyArray(req, "ids")
	if kerr != nil {
		return nil, kerr
	}
	ids, kerr := stringIDs(array, "profileIds")
	if kerr != nil {
		return nil, kerr
	}
	return c.mGet(ctx, repository.Profiles, ids, "security.profile.not_found", withOptimizedPolicies)
}

// deleteProfile deletes a profile; onAssignedUsers "remove" takes it out
// of its users first, anything else ("fail", the default) refuses a
// profile in use.
func (c *controller) deleteProfile(ctx context.Context, req *api.Request) (any, error) {
	id, kerr := req.DocumentID()
	if kerr != nil {
		return nil, kerr
	}
	onAssigned, kerr := req.StringOr("onAssignedUsers", "fail")
	if kerr != nil {
		return nil, kerr
	}
	if err := c.Security.DeleteProfile(ctx, id, onAssigned == "remove", kuid(ctx)); err != nil {
		return nil, err
	}
	c.audit(ctx, req, "profile", id)
	return map[string]string{"_id": id}, nil
}

func (c *controller) mDeleteProfiles(ctx context.Context, req *api.Request) (any, error) {
	return c.mDelete(ctx, req, "profile", func(ctx context.Context, id string) error {
		return c.Security.DeleteProfile(ctx, id, false, kuid(ctx))
	})
}

// getProfileRights answers {hits, total}: the profile's rights listing.
func (c *controller) getProfileRights(ctx context.Context, req *api.Request) (any, error) {
	id, kerr := req.DocumentID()
	if kerr != nil {
		return nil, kerr
	}
	profile, err := c.Security.Profile(id)
	if err != nil {
		return nil, err
	}
	roles := map[string]*model.Role{}
	for _, role := range c.Security.RoleList() {
		roles[role.ID] = role
	}
	hits, err := model.ProfileRights(profile, roles)
	if err != nil {
		return nil, err
	}
	return map[string]any{"hits": hits, "total": len(hits)}, nil
}

// searchProfiles searches the profiles collection with the body; the
// deprecated body.roles (not with body.query) searches the profiles
// giving one of those roles, all of them for an empty list.
func (c *controller) searchProfiles(ctx context.Context, req *api.Request) (any, error) {
	args, err := c.searchParams(req)
	if err != nil {
		return nil, err
	}
	lang, kerr := req.Lang()
	if kerr != nil {
		return nil, kerr
	}
	searched := searchBody(req)
	fields := bodyFields(req)
	if rawRoles := fields["roles"]; truthy(rawRoles) {
		if truthy(fields["query"]) {
			return nil, kerror.WithMessage(`You cannot specifify both "roles" and "query". Prefer the usage of "query" property with a search query.`,
				"api.assert.invalid_argument", "roles", "query")
		}
		roles, kerr := arrayField(fields, "roles", "body.roles")
		if kerr != nil {
			return nil, kerr
		}
		q := any(map[string]any{"match_all": map[string]any{}})
		if len(roles) > 0 {
			q = map[string]any{"terms": map[string]any{"policies.roleId": roles}}
		}
		delete(fields, "roles")
		if fields["query"], err = jsonx.Marshal(q); err != nil {
			return nil, err
		}
		if searched, err = jsonx.Marshal(fields); err != nil {
			return nil, err
		}
	}
	return c.search(ctx, searchSpec{
		collection: repository.Profiles, body: searched, lang: lang, args: args,
		extend: emptyOptimizedPolicies, aggregations: true,
	})
}
