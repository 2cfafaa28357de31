package security

import (
	"context"
	"crypto/rand"
	"fmt"
	"strconv"
	"time"

	"github.com/starlingmq/starling/internal/api"
	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/kerror"
	"github.com/starlingmq/starling/internal/security/repository"
	"github.com/starlingmq/starling/internal/security/token"
)

// userIDArg reads the required userId argument.
func userIDArg(req *api.Request) (string, *kerror.Error) {
	id, ok, kerr := req.String("userId")
	if kerr != nil {
		return "", kerr
	}
	if !ok || id == "" {
		return "", kerror.New("api.assert.missing_argument", "userId")
	}
	return id, nil
}

// createAPIKey issues an API key for the userId argument's user, over
// security.apiKey.maxTTL (Kuzzle's bypassMaxTTL), and answers {_id,
// _source: {userId, description, expiresAt, ttl, fingerprint, token}}.
func (c *controller) createAPIKey(ctx context.Context, req *api.Request) (any, error) {
	userID, kerr := userIDArg(req)
	if kerr != nil {
		return nil, kerr
	}
	id, _, kerr := req.String("_id")
	if kerr != nil {
		return nil, kerr
	}
	description, kerr := descriptionArg(req)
	if kerr != nil {
		return nil, kerr
	}
	expiresIn, kerr := apiKeyExpiresIn(req)
	if kerr != nil {
		return nil, kerr
	}
	if _, err := c.Security.User(ctx, userID); err != nil {
		return nil, err
	}
	if id == "" {
		id = newUUID()
	}
	t, err := c.Tokens.Issue(userID, token.IssueOptions{ExpiresIn: expiresIn, Type: token.APIKey, BypassMaxTTL: true})
	if err != nil {
		return nil, err
	}
	k := repository.APIKey{ID: id, UserID: userID, Description: description, ExpiresAt: t.ExpiresAtMillis(), TTL: t.TTLMillis()}
	stored := repository.StoredToken{
		JWT: t.JWT, UserID: t.UserID, ExpiresAt: t.ExpiresAtMillis(), TTL: t.TTLMillis(), Type: string(t.Type),
	}
	if err := c.Security.AddAPIKey(ctx, stored, k, kuid(ctx)); err != nil {
		c.Tokens.Revoke(t.JWT)
		return nil, err
	}
	c.audit(ctx, req, "user", userID)
	k.Fingerprint = repository.Fingerprint(t.JWT)
	return map[string]any{"_id": id, "_source": k.Source(t.JWT)}, nil
}

// searchAPIKeys searches the userId argument's API keys with the body as
// query.
func (c *controller) searchAPIKeys(ctx context.Context, req *api.Request) (any, error) {
	userID, kerr := userIDArg(req)
	if kerr != nil {
		return nil, kerr
	}
	from, kerr := req.Integer("from", api.Int(0))
	if kerr != nil {
		return nil, kerr
	}
	size, kerr := req.Integer("size", api.Int(-1))
	if kerr != nil {
		return nil, kerr
	}
	keys, err := c.Security.SearchAPIKeys(ctx, userID, req.Body, from, size)
	if err != nil {
		return nil, err
	}
	return repository.APIKeyHits(keys), nil
}

// deleteAPIKey deletes one of the userId argument's API keys and revokes
// its token.
func (c *controller) deleteAPIKey(ctx context.Context, req *api.Request) (any, error) {
	userID, kerr := userIDArg(req)
	if kerr != nil {
		return nil, kerr
	}
	id, kerr := req.DocumentID()
	if kerr != nil {
		return nil, kerr
	}
	jwt, err := c.Security.RemoveAPIKey(ctx, userID, id)
	if err != nil {
		return nil, err
	}
	if jwt != "" {
		c.Tokens.Revoke(jwt)
	}
	return map[string]string{"_id": id}, nil
}

// descriptionArg reads the required body.description string.
func descriptionArg(req *api.Request) (string, *kerror.Error) {
	raw, kerr := req.BodyField("description")
	if kerr != nil {
		return "", kerr
	}
	if raw == nil {
		return "", kerror.New("api.assert.missing_argument", "body.description")
	}
	var s string
	if err := jsonx.Unmarshal(raw, &s); err != nil {
		return "", kerror.New("api.assert.invalid_type", "body.description", "string")
	}
	return s, nil
}

// apiKeyExpiresIn reads expiresIn as Kuzzle's "expiresIn || -1": absent or
// 0 is never; otherwise milliseconds or a timespan string.
func apiKeyExpiresIn(req *api.Request) (time.Duration, *kerror.Error) {
	raw := string(req.Arg("expiresIn"))
	switch raw {
	case "", "null", "0", `""`, "false":
		return token.Never, nil
	}
	if ms, err := strconv.ParseFloat(raw, 64); err == nil {
		return token.MillisDuration(ms), nil
	}
	var s string
	if err := jsonx.Unmarshal(jsonx.RawMessage(raw), &s); err != nil {
		return 0, token.InvalidExpiresIn()
	}
	d, ok := token.ParseTimespan(s)
	if !ok {
		return 0, token.InvalidExpiresIn()
	}
	return d, nil
}

// newUUID returns a random (version 4) UUID, as Kuzzle's generated ids.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
