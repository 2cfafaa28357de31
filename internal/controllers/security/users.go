package security

import (
	"context"
	"slices"
	"strings"

	"github.com/starlingmq/starling/internal/api"
	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/kerror"
	model "github.com/starlingmq/starling/internal/security"
	"github.com/starlingmq/starling/internal/security/repository"
	"github.com/starlingmq/starling/internal/store"
)

// createUser creates a user from body.content (which must hold
// profileIds) and gives it the credentials of body.credentials, one per
// strategy.
func (c *controller) createUser(ctx context.Context, req *api.Request) (any, error) {
	fields := bodyFields(req)
	if fields == nil {
		return nil, kerror.New("api.assert.body_required")
	}
	raw, ok := fields["content"]
	if !ok {
		return nil, kerror.New("api.assert.missing_argument", "body.content")
	}
	var content map[string]jsonx.RawMessage
	if raw[0] != '{' || jsonx.Unmarshal(raw, &content) != nil {
		return nil, kerror.New("api.assert.invalid_type", "body.content", "object")
	}
	if _, kerr := arrayField(content, "profileIds", "body.content.profileIds"); kerr != nil {
		return nil, kerr
	}
	return c.persistUser(ctx, req, content)
}

// createRestrictedUser creates a user with the configured restricted
// profiles; body.content may not name profiles.
func (c *controller) createRestrictedUser(ctx context.Context, req *api.Request) (any, error) {
	raw, kerr := bodyObjectOr(req, "content", jsonx.RawMessage("{}"))
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
	profileIDs, err := jsonx.Marshal(c.Config.RestrictedProfileIDs)
	if err != nil {
		return nil, err
	}
	content["profileIds"] = profileIDs
	return c.persistUser(ctx, req, content)
}

// persistUser is Kuzzle's _persistUser: pick the kuid (generated without
// _id), check the credentials' strategies, store the user, then create
// its credentials; if that fails, the credentials created and the user
// are removed again.
func (c *controller) persistUser(ctx context.Context, req *api.Request, content map[string]jsonx.RawMessage) (any, error) {
	style, kerr := req.StringOr("kuid", "human")
	if kerr != nil {
		return nil, kerr
	}
	credentials, strategies, err := credentialsArg(req)
	if err != nil {
		return nil, err
	}
	id, err := c.newUserID(ctx, req, strategies, style != "uuid")
	if err != nil {
		return nil, err
	}
	encoded, err := jsonx.Marshal(map[string]any{"content": content})
	if err != nil {
		return nil, err
	}
	user, err := model.ParseUserCreate(id, encoded)
	if err != nil {
		return nil, err
	}
	res, err := c.Security.PutUser(ctx, user, store.OpCreate, kuid(ctx))
	if isKuzzleError(err, "services.storage.document_already_exists") {
		return nil, kerror.New("security.user.already_exists", id)
	}
	if err != nil {
		return nil, err
	}
	if err := c.createCredentials(ctx, id, strategies, credentials); err != nil {
		return nil, err
	}
	c.audit(ctx, req, "user", id)
	return serialized(id, res.Source), nil
}

// credentialsArg reads body.credentials ({} when absent): credentials by
// strategy, and the strategies in order.
func credentialsArg(req *api.Request) (map[string]jsonx.RawMessage, []string, error) {
	raw, kerr := bodyObjectOr(req, "credentials", jsonx.RawMessage("{}"))
	if kerr != nil {
		return nil, nil, kerr
	}
	var credentials map[string]jsonx.RawMessage
	if err := jsonx.Unmarshal(raw, &credentials); err != nil {
		return nil, nil, kerror.New("api.assert.invalid_type", "body.credentials", "object")
	}
	strategies := make([]string, 0, len(credentials))
	for strategy := range credentials {
		strategies = append(strategies, strategy)
	}
	slices.Sort(strategies)
	return credentials, strategies, nil
}

// newUserID returns the _id argument, or a generated kuid without one,
// after checking that every strategy exists and holds no credentials for
// it (a generated kuid that has some is generated again; a given one is
// security.credentials.database_inconsistency).
func (c *controller) newUserID(ctx context.Context, req *api.Request, strategies []string, human bool) (string, error) {
	known := c.Credentials.Strategies()
	for {
		id, generated := "", !truthy(req.Arg("_id"))
		if generated {
			id = generatedKuid(human)
		} else {
			var kerr *kerror.Error
			if id, kerr = req.DocumentID(); kerr != nil {
				return "", kerr
			}
		}
		taken := false
		for _, strategy := range strategies {
			if !slices.Contains(known, strategy) {
				return "", kerror.New("security.credentials.unknown_strategy", strategy)
			}
			exists, err := c.Credentials.Exists(ctx, strategy, id)
			if err != nil {
				return "", err
			}
			if exists && !generated {
				return "", kerror.New("security.credentials.database_inconsistency", id)
			}
			if taken = exists; taken {
				break
			}
		}
		if !taken {
			return id, nil
		}
	}
}

// createCredentials validates then creates each strategy's credentials
// for a new user; on a failure it removes what it created and the user,
// and answers Kuzzle's error.
func (c *controller) createCredentials(ctx context.Context, id string, strategies []string, credentials map[string]jsonx.RawMessage) error {
	var created []string
	var failure error
	validation := false
	for _, strategy := range strategies {
		if err := c.Credentials.Validate(ctx, strategy, id, credentials[strategy]); err != nil {
			failure, validation = err, true
			break
		}
		if err := c.Credentials.Create(ctx, strategy, id, credentials[strategy]); err != nil {
			failure = err
			break
		}
		created = append(created, strategy)
	}
	if failure == nil {
		return nil
	}
	var messages []string
	for _, strategy := range created {
		if err := c.Credentials.Delete(ctx, strategy, id); err != nil {
			messages = append(messages, errorMessage(err))
		}
	}
	if err := c.Security.DeleteUser(ctx, id); err != nil {
		c.Logger.Error("user rollback error", "user", id, "error", err)
	}
	if messages != nil {
		return kerror.New("plugin.runtime.unexpected_error", strings.Join(append([]string{errorMessage(failure)}, messages...), "\n"))
	}
	if kerr, ok := failure.(*kerror.Error); ok {
		return kerr
	}
	if validation {
		return kerror.New("security.credentials.rejected", failure.Error())
	}
	return kerror.New("plugin.runtime.unexpected_error", failure.Error())
}

// errorMessage is a Kuzzle error's message, another error's text.
func errorMessage(err error) string {
	if kerr, ok := err.(*kerror.Error); ok {
		return kerr.Message
	}
	return err.Error()
}

func (c *controller) getUser(ctx context.Context, req *api.Request) (any, error) {
	id, kerr := req.DocumentID()
	if kerr != nil {
		return nil, kerr
	}
	if id == model.AnonymousID || id == "anonymous" {
		anonymous, err := c.Security.User(ctx, model.AnonymousID)
		if err != nil {
			return nil, err
		}
		source, err := jsonx.Marshal(anonymous)
		if err != nil {
			return nil, err
		}
		return serialized(anonymous.ID, source), nil
	}
	doc, err := c.document(ctx, repository.Users, id, "security.user.not_found")
	if err != nil {
		return nil, err
	}
	return serialized(id, doc.Source), nil
}

// mGetUsers answers {hits} of the users body.ids (or the ids argument, an
// array or a comma-separated string) names; missing ones are left out.
func (c *controller) mGetUsers(ctx context.Context, req *api.Request) (any, error) {
	ids, kerr := userIDsArg(req)
	if kerr != nil {
		return nil, kerr
	}
	docs, err := c.documents(ctx, repository.Users, ids)
	if err != nil {
		return nil, err
	}
	hits := make([]jsonx.RawMessage, 0, len(docs))
	for _, doc := range docs {
		if doc.Found {
			hits = append(hits, serialized(doc.ID, doc.Source))
		}
	}
	return hitsResult(hits), nil
}

// userIDsArg reads mGetUsers' ids: body.ids when it is a non-empty value,
// else the ids argument (Kuzzle's getArrayLegacy).
func userIDsArg(req *api.Request) ([]string, *kerror.Error) {
	if raw := bodyFields(req)["ids"]; truthy(raw) && !emptyKeys(raw) {
		array, kerr := bodyArray(req, "ids")
		if kerr != nil {
			return nil, kerr
		}
		return stringIDs(array, "body.ids")
	}
	raw := req.Arg("ids")
	if raw == nil {
		return nil, kerror.New("api.assert.missing_argument", "ids")
	}
	var array []any
	if jsonx.Unmarshal(raw, &array) == nil && array != nil {
		return stringIDs(array, "ids")
	}
	list, _, kerr := req.String("ids")
	if kerr != nil || isNull(raw) {
		return nil, kerror.New("api.assert.invalid_type", "ids", "array")
	}
	return strings.Split(list, ","), nil
}

// emptyKeys reports whether JavaScript's Object.keys of a raw value is
// empty: [], {}, numbers and booleans.
func emptyKeys(raw jsonx.RawMessage) bool {
	var v any
	if jsonx.Unmarshal(raw, &v) != nil {
		return true
	}
	switch x := v.(type) {
	case []any:
		return len(x) == 0
	case map[string]any:
		return len(x) == 0
	case string:
		return x == ""
	}
	return true
}

// updateUser merges the body's top-level keys into the user (profileIds,
// when not null, replace its profiles).
func (c *controller) updateUser(ctx context.Context, req *api.Request) (any, error) {
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
	current, err := c.Security.User(ctx, id)
	if err != nil {
		return nil, err
	}
	user, err := model.ParseUserUpdate(current, raw)
	if err != nil {
		return nil, err
	}
	return c.saveUser(ctx, req, user, store.OpUpdate)
}

// replaceUser replaces an existing user's content and profiles by the
// body, which must hold profileIds.
func (c *controller) replaceUser(ctx context.Context, req *api.Request) (any, error) {
	id, kerr := req.DocumentID()
	if kerr != nil {
		return nil, kerr
	}
	raw, kerr := body(req)
	if kerr != nil {
		return nil, kerr
	}
	user, err := model.ParseUserReplace(id, raw)
	if err != nil {
		return nil, err
	}
	if _, err := c.Security.User(ctx, id); err != nil {
		return nil, err
	}
	return c.saveUser(ctx, req, user, store.OpReplace)
}

// saveUser writes a user and answers it as stored.
func (c *controller) saveUser(ctx context.Context, req *api.Request, user *model.User, kind store.OpKind) (any, error) {
	res, err := c.Security.PutUser(ctx, user, kind, kuid(ctx))
	if err != nil {
		return nil, err
	}
	c.audit(ctx, req, "user", user.ID)
	return serialized(user.ID, res.Source), nil
}

func (c *controller) deleteUser(ctx context.Context, req *api.Request) (any, error) {
	id, kerr := req.DocumentID()
	if kerr != nil {
		return nil, kerr
	}
	if err := c.removeUser(ctx, id); err != nil {
		return nil, err
	}
	c.audit(ctx, req, "user", id)
	return map[string]string{"_id": id}, nil
}

func (c *controller) mDeleteUsers(ctx context.Context, req *api.Request) (any, error) {
	return c.mDelete(ctx, req, "user", c.removeUser)
}

// removeUser deletes a user as Kuzzle's UserRepository.delete: its
// credentials of every strategy (failures are
// security.credentials.rejected), its tokens, then the user.
func (c *controller) removeUser(ctx context.Context, id string) error {
	if _, err := c.Security.User(ctx, id); err != nil {
		return err
	}
	var failures []string
	for _, strategy := range c.Credentials.Strategies() {
		exists, err := c.Credentials.Exists(ctx, strategy, id)
		if err != nil {
			failures = append(failures, errorMessage(err))
			continue
		}
		if !exists {
			continue
		}
		if err := c.Credentials.Delete(ctx, strategy, id); err != nil {
			failures = append(failures, errorMessage(err))
		}
	}
	if failures != nil {
		return kerror.New("security.credentials.rejected", strings.Join(failures, "\n\t- "))
	}
	if c.Tokens != nil {
		c.Tokens.RevokeUser(id, false)
	}
	return c.Security.DeleteUser(ctx, id)
}

// getUserRights answers {hits, total}: the rights listing of the user's
// profiles.
func (c *controller) getUserRights(ctx context.Context, req *api.Request) (any, error) {
	id, kerr := req.DocumentID()
	if kerr != nil {
		return nil, kerr
	}
	p, err := c.Security.Principal(ctx, id)
	if err != nil {
		return nil, err
	}
	hits, err := p.Rights()
	if err != nil {
		return nil, err
	}
	return map[string]any{"hits": hits, "total": len(hits)}, nil
}

// revokeTokens ends the user's tokens, API keys apart, as Kuzzle's
// deleteByKuid; it answers null, whether the user exists or not.
func (c *controller) revokeTokens(_ context.Context, req *api.Request) (any, error) {
	id, kerr := req.DocumentID()
	if kerr != nil {
		return nil, kerr
	}
	if c.Tokens != nil {
		c.Tokens.RevokeUser(id, true)
	}
	return nil, nil
}

// searchUsers searches the users collection with the body: {hits,
// scrollId, total}.
func (c *controller) searchUsers(ctx context.Context, req *api.Request) (any, error) {
	args, err := c.searchParams(req)
	if err != nil {
		return nil, err
	}
	lang, kerr := req.Lang()
	if kerr != nil {
		return nil, kerr
	}
	return c.search(ctx, searchSpec{collection: repository.Users, body: searchBody(req), lang: lang, args: args})
}
