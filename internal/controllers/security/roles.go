package security

import (
	"context"
	"slices"

	"github.com/starlingmq/starling/internal/api"
	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/kerror"
	model "github.com/starlingmq/starling/internal/security"
	"github.com/starlingmq/starling/internal/security/repository"
	"github.com/starlingmq/starling/internal/store"
)

func (c *controller) createRole(ctx context.Context, req *api.Request) (any, error) {
	return c.putRole(ctx, req, store.OpCreate)
}

func (c *controller) createOrReplaceRole(ctx context.Context, req *api.Request) (any, error) {
	return c.putRole(ctx, req, store.OpCreateOrReplace)
}

// updateRole replaces the role's definition, as Kuzzle does: the body
// must be a whole role. A missing role is the store's not_found, as the
// replace Kuzzle runs answers.
func (c *controller) updateRole(ctx context.Context, req *api.Request) (any, error) {
	if _, kerr := req.Integer("retryOnConflict", api.Int(10)); kerr != nil {
		return nil, kerr
	}
	return c.putRole(ctx, req, store.OpReplace)
}

// putRole reads _id, the body and force, checks the role as Kuzzle's
// RoleRepository and writes it.
func (c *controller) putRole(ctx context.Context, req *api.Request, kind store.OpKind) (any, error) {
	id, kerr := req.DocumentID()
	if kerr != nil {
		return nil, kerr
	}
	raw, kerr := body(req)
	if kerr != nil {
		return nil, kerr
	}
	force, kerr := req.Boolean("force")
	if kerr != nil {
		return nil, kerr
	}
	role, err := model.ParseRole(id, raw)
	if err != nil {
		return nil, err
	}
	if c.Catalog != nil {
		if err := model.ValidateActions(role, c.Catalog, force); err != nil {
			return nil, err
		}
	}
	res, err := c.Security.PutRole(ctx, role, kind, kuid(ctx))
	if kind == store.OpReplace && isKuzzleError(err, "security.role.not_found") {
		return nil, kerror.New("services.storage.not_found", id, repository.Index, repository.Roles)
	}
	if err != nil {
		return nil, err
	}
	c.audit(ctx, req, "role", id)
	return serialized(id, res.Source), nil
}

func (c *controller) getRole(ctx context.Context, req *api.Request) (any, error) {
	id, kerr := req.DocumentID()
	if kerr != nil {
		return nil, kerr
	}
	doc, err := c.document(ctx, repository.Roles, id, "security.role.not_found")
	if err != nil {
		return nil, err
	}
	return serialized(id, doc.Source), nil
}

// mGetRoles answers {hits} of the roles body.ids names; a missing one is
// security.role.not_found.
func (c *controller) mGetRoles(ctx context.Context, req *api.Request) (any, error) {
	array, kerr := bodyArray(req, "ids")
	if kerr != nil {
		return nil, kerr
	}
	ids, kerr := stringIDs(array, "body.ids")
	if kerr != nil {
		return nil, kerr
	}
	return c.mGet(ctx, repository.Roles, ids, "security.role.not_found", nil)
}

// mGet reads definitions of collection: each missing one is notFound,
// each found one serialized after extend (nil: as stored).
func (c *controller) mGet(ctx context.Context, collection string, ids []string, notFound string, extend func(jsonx.RawMessage) (jsonx.RawMessage, error)) (any, error) {
	docs, err := c.documents(ctx, collection, ids)
	if err != nil {
		return nil, err
	}
	hits := make([]jsonx.RawMessage, 0, len(docs))
	for _, doc := range docs {
		if !doc.Found {
			return nil, kerror.New(notFound, doc.ID)
		}
		source := doc.Source
		if extend != nil {
			if source, err = extend(source); err != nil {
				return nil, err
			}
		}
		hits = append(hits, serialized(doc.ID, source))
	}
	return hitsResult(hits), nil
}

func (c *controller) deleteRole(ctx context.Context, req *api.Request) (any, error) {
	id, kerr := req.DocumentID()
	if kerr != nil {
		return nil, kerr
	}
	if err := c.Security.DeleteRole(ctx, id); err != nil {
		return nil, err
	}
	c.audit(ctx, req, "role", id)
	return map[string]string{"_id": id}, nil
}

func (c *controller) mDeleteRoles(ctx context.Context, req *api.Request) (any, error) {
	return c.mDelete(ctx, req, "role", c.Security.DeleteRole)
}

// searchRoles is Kuzzle's searchRoles: with body.controllers, every role
// giving rights on one of them (or on "*"; all roles for an empty list),
// paged by from and size; otherwise a search of the roles collection with
// the body.
func (c *controller) searchRoles(ctx context.Context, req *api.Request) (any, error) {
	from, kerr := req.Integer("from", api.Int(0))
	if kerr != nil {
		return nil, kerr
	}
	size, err := c.pageSize(req)
	if err != nil {
		return nil, err
	}
	lang, kerr := req.Lang()
	if kerr != nil {
		return nil, kerr
	}
	fields := bodyFields(req)
	rawControllers, hasControllers := fields["controllers"]
	hasControllers = hasControllers && truthy(rawControllers)
	if hasControllers && truthy(fields["query"]) {
		return nil, kerror.WithMessage(`You cannot specifify both "controllers" and "query". Prefer the usage of "query" property with a search query.`,
			"api.assert.invalid_argument", "controllers", "query")
	}
	if !hasControllers {
		return c.search(ctx, searchSpec{
			collection: repository.Roles, body: searchBody(req), lang: lang,
			args: searchArgs{from: from, size: size}, aggregations: true,
		})
	}
	array, kerr := arrayField(fields, "controllers", "body.controllers")
	if kerr != nil {
		return nil, kerr
	}
	return c.rolesByControllers(ctx, array, from, size)
}

// rolesByControllers answers {hits, total}: the roles naming one of
// controllers or "*", all roles for an empty list, paged.
func (c *controller) rolesByControllers(ctx context.Context, controllers []any, from, size int) (any, error) {
	var hits []jsonx.RawMessage
	for _, role := range c.Security.RoleList() {
		if len(controllers) > 0 && !namesAny(role, controllers) {
			continue
		}
		doc, err := c.document(ctx, repository.Roles, role.ID, "security.role.not_found")
		if err != nil {
			return nil, err
		}
		hits = append(hits, serialized(role.ID, doc.Source))
	}
	total := len(hits)
	from = max(from, 0)
	return hitsTotal(hits[min(from, total):min(from+max(size, 0), total)], total), nil
}

// namesAny reports whether role gives rights on "*" or on one of
// controllers.
func namesAny(role *model.Role, controllers []any) bool {
	for name := range role.Controllers {
		if name == "*" || slices.Contains(controllers, any(name)) {
			return true
		}
	}
	return false
}
