package auth

import (
	"context"
	"crypto/rand"
	"fmt"
	"time"

	"github.com/starlingmq/starling/internal/api"
	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/kerror"
	"github.com/starlingmq/starling/internal/security/repository"
	"github.com/starlingmq/starling/internal/security/token"
)

// stored is a token as the repository keeps it.
func stored(t token.Token) repository.StoredToken {
	return repository.StoredToken{
		JWT: t.JWT, UserID: t.UserID, ExpiresAt: t.ExpiresAtMillis(), TTL: t.TTLMillis(),
		Type: string(t.Type), SingleUse: t.SingleUse,
	}
}

// issue issues a token and stores it, so that it outlives a restart; a
// token that cannot be stored is revoked and the error returned.
func (c *controller) issue(ctx context.Context, userID string, o token.IssueOptions) (token.Token, error) {
	t, err := c.Tokens.Issue(userID, o)
	if err != nil {
		return token.Token{}, err
	}
	return t, c.keep(ctx, t)
}

// keep stores a token just issued, revoking it when that fails.
func (c *controller) keep(ctx context.Context, t token.Token) error {
	if err := c.Security.SaveToken(ctx, stored(t)); err != nil {
		c.Tokens.Revoke(t.JWT)
		return fmt.Errorf("keep the new token: %w", err)
	}
	return nil
}

// createToken issues a token for the caller (Kuzzle's auth:createToken),
// single-use when asked.
func (c *controller) createToken(ctx context.Context, req *api.Request) (any, error) {
	singleUse, kerr := req.Boolean("singleUse")
	if kerr != nil {
		return nil, kerr
	}
	if string(req.Arg("expiresIn")) == "-1" || string(req.Arg("expiresIn")) == `"-1"` {
		return nil, kerror.New("security.token.invalid_expiration", "expiresIn", "cannot be infinite")
	}
	expiresIn, kerr := expiresInArg(req)
	if kerr != nil {
		return nil, kerr
	}
	t, err := c.issue(ctx, api.CallerOf(ctx).UserID, token.IssueOptions{ExpiresIn: expiresIn, SingleUse: singleUse})
	if err != nil {
		return nil, err
	}
	return map[string]any{"expiresAt": t.ExpiresAtMillis(), "singleUse": t.SingleUse, "token": t.JWT, "ttl": t.TTLMillis()}, nil
}

func (c *controller) createAPIKey(ctx context.Context, req *api.Request) (any, error) {
	o, kerr := apiKeyArgs(req)
	if kerr != nil {
		return nil, kerr
	}
	return c.createKey(ctx, api.CallerOf(ctx).UserID, o)
}

func (c *controller) searchAPIKeys(ctx context.Context, req *api.Request) (any, error) {
	from, kerr := req.Integer("from", api.Int(0))
	if kerr != nil {
		return nil, kerr
	}
	size, kerr := req.Integer("size", api.Int(-1))
	if kerr != nil {
		return nil, kerr
	}
	keys, err := c.Security.SearchAPIKeys(ctx, api.CallerOf(ctx).UserID, req.Body, from, size)
	if err != nil {
		return nil, err
	}
	return repository.APIKeyHits(keys), nil
}

func (c *controller) deleteAPIKey(ctx context.Context, req *api.Request) (any, error) {
	id, kerr := req.DocumentID()
	if kerr != nil {
		return nil, kerr
	}
	jwt, err := c.Security.RemoveAPIKey(ctx, api.CallerOf(ctx).UserID, id)
	if err != nil {
		return nil, err
	}
	if jwt != "" {
		c.Tokens.Revoke(jwt)
	}
	return map[string]string{"_id": id}, nil
}

// apiKeyOptions are the arguments of an API key's creation.
type apiKeyOptions struct {
	// ID is the key's _id; generated when empty.
	ID string
	// Description is the body's description.
	Description string
	// ExpiresIn is the lifetime; Never when not given.
	ExpiresIn time.Duration
}

// apiKeyArgs reads createApiKey's _id, expiresIn and body.description.
func apiKeyArgs(req *api.Request) (apiKeyOptions, *kerror.Error) {
	var o apiKeyOptions
	id, _, kerr := req.String("_id")
	if kerr != nil {
		return o, kerr
	}
	o.ID = id
	raw, kerr := req.BodyField("description")
	if kerr != nil {
		return o, kerr
	}
	if raw == nil {
		return o, kerror.New("api.assert.missing_argument", "body.description")
	}
	if err := jsonx.Unmarshal(raw, &o.Description); err != nil {
		return o, kerror.New("api.assert.invalid_type", "body.description", "string")
	}
	// Kuzzle: expiresIn || -1, so 0 and absence both mean never.
	if a := string(req.Arg("expiresIn")); a == "0" || a == `"0"` {
		o.ExpiresIn = token.Never
		return o, nil
	}
	expiresIn, kerr := expiresInArg(req)
	if expiresIn == 0 {
		expiresIn = token.Never
	}
	o.ExpiresIn = expiresIn
	return o, kerr
}

// createKey issues an API key for userID and stores it, and returns
// Kuzzle's answer: {_id, _source: {userId, description, expiresAt, ttl,
// fingerprint, token}}. An _id already taken is
// services.storage.document_already_exists (and no key is left).
func (c *controller) createKey(ctx context.Context, userID string, o apiKeyOptions) (any, error) {
	if o.ID == "" {
		o.ID = newUUID()
	}
	t, err := c.Tokens.Issue(userID, token.IssueOptions{ExpiresIn: o.ExpiresIn, Type: token.APIKey})
	if err != nil {
		return nil, err
	}
	k := repository.APIKey{
		ID: o.ID, UserID: userID, Description: o.Description, ExpiresAt: t.ExpiresAtMillis(), TTL: t.TTLMillis(),
		Fingerprint: repository.Fingerprint(t.JWT),
	}
	if err := c.Security.AddAPIKey(ctx, stored(t), k, userID); err != nil {
		c.Tokens.Revoke(t.JWT)
		return nil, err
	}
	return map[string]any{"_id": k.ID, "_source": k.Source(t.JWT)}, nil
}

// newUUID returns a random (version 4) UUID, as Kuzzle's generated ids.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
