package security

import (
	"context"

	"github.com/starlingmq/starling/internal/api"
	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/kerror"
	model "github.com/starlingmq/starling/internal/security"
	"github.com/starlingmq/starling/internal/store"
)

// upsertUser updates the user _id with body.content (which must hold
// profileIds); a missing user is created from body.default overlaid with
// body.content, with the credentials of body.credentials.
func (c *controller) upsertUser(ctx context.Context, req *api.Request) (any, error) {
	id, kerr := req.DocumentID()
	if kerr != nil {
		return nil, kerr
	}
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
	defaults, kerr := bodyObjectOr(req, "default", jsonx.RawMessage("{}"))
	if kerr != nil {
		return nil, kerr
	}
	if _, kerr := req.Integer("retryOnConflict", api.Int(10)); kerr != nil {
		return nil, kerr
	}
	current, err := c.Security.User(ctx, id)
	if isKuzzleError(err, "security.user.not_found") {
		return c.persistUser(ctx, req, overlaid(defaults, content))
	}
	if err != nil {
		return nil, err
	}
	user, err := model.ParseUserUpdate(current, raw)
	if err != nil {
		return nil, err
	}
	return c.saveUser(ctx, req, user, store.OpUpdate)
}

// overlaid is {...defaults, ...content}.
func overlaid(defaults jsonx.RawMessage, content map[string]jsonx.RawMessage) map[string]jsonx.RawMessage {
	merged := map[string]jsonx.RawMessage{}
	_ = jsonx.Unmarshal(defaults, &merged) // bodyObjectOr checked it is an object
	for k, v := range content {
		merged[k] = v
	}
	return merged
}
