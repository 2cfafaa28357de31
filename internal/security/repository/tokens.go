package repository

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/kerror"
	"github.com/starlingmq/starling/internal/store"
	"github.com/starlingmq/starling/internal/store/query"
)

// The collections of live tokens and API keys, in Index.
const (
	// Tokens holds every live token (login tokens and API keys' JWTs):
	// Kuzzle keeps them in its cache (Redis), which outlives a restart;
	// Starling has no such cache, so they are kept here.
	Tokens = "tokens"
	// APIKeys holds Kuzzle's API key documents.
	APIKeys = "api-keys"
)

// Mappings of the token collections: Kuzzle 2.56's for api-keys
// (config/default.config.js), Starling's own for tokens.
const (
	tokensMapping  = `{"dynamic":"false","properties":{"userId":{"type":"keyword"},"expiresAt":{"type":"long"}}}`
	apiKeysMapping = `{"dynamic":"false","properties":{"userId":{"type":"keyword"},"hash":{"type":"keyword"},"description":{"type":"text"},"expiresAt":{"type":"long"},"ttl":{"type":"keyword"},"token":{"type":"keyword"}}}`
)

// StoredToken is a live token as the Tokens collection keeps it, under
// the _id Fingerprint(JWT).
//
// The JWT itself is stored, not only its hash: at start every stored
// token is registered again in the token manager, which needs the JWT to
// check its signature and to find it when a client presents it (Kuzzle's
// cache keys its tokens by "<kuid>#<jwt>" too). The collection sits in the
// internal index, which no client action reads.
type StoredToken struct {
	// JWT is the token as clients send it, prefix included.
	JWT string `json:"jwt"`
	// UserID is the owner's kuid.
	UserID string `json:"userId"`
	// ExpiresAt is the expiry in Unix milliseconds, -1 for never.
	ExpiresAt int64 `json:"expiresAt"`
	// TTL is the lifetime in milliseconds, -1 for never.
	TTL int64 `json:"ttl"`
	// Type is "authToken" or "apiKey".
	Type string `json:"type"`
	// SingleUse marks auth:createToken's single-use tokens.
	SingleUse bool `json:"singleUse,omitempty"`
}

// Fingerprint is Kuzzle's fingerprint of a JWT: its SHA-256, in hex.
func Fingerprint(jwt string) string {
	sum := sha256.Sum256([]byte(jwt))
	return hex.EncodeToString(sum[:])
}

// SaveToken stores a live token (replacing it if already there).
func (r *Repository) SaveToken(ctx context.Context, t StoredToken) error {
	body, err := jsonx.Marshal(t)
	if err != nil {
		return fmt.Errorf("encode a token of %s: %w", t.UserID, err)
	}
	err = r.writeOne(ctx, Tokens, store.Op{Kind: store.OpCreateOrReplace, ID: Fingerprint(t.JWT), Body: body, NoMeta: true})
	if err != nil {
		return fmt.Errorf("store a token of %s: %w", t.UserID, err)
	}
	return nil
}

// DeleteToken forgets a stored token; one that is not stored is no error.
func (r *Repository) DeleteToken(ctx context.Context, jwt string) error {
	err := r.writeOne(ctx, Tokens, store.Op{Kind: store.OpDelete, ID: Fingerprint(jwt)})
	if err != nil && !isNotFound(err) {
		return fmt.Errorf("delete a stored token: %w", err)
	}
	return nil
}

// StoredTokenOf returns the stored token whose fingerprint is given.
func (r *Repository) StoredTokenOf(ctx context.Context, fingerprint string) (StoredToken, bool, error) {
	docs, err := r.st.Get(ctx, Index, Tokens, []string{fingerprint})
	if err != nil {
		return StoredToken{}, false, fmt.Errorf("read a stored token: %w", err)
	}
	if !docs[0].Found {
		return StoredToken{}, false, nil
	}
	var t StoredToken
	if err := jsonx.Unmarshal(docs[0].Source, &t); err != nil {
		return StoredToken{}, false, fmt.Errorf("decode the stored token %s: %w", fingerprint, err)
	}
	return t, true, nil
}

// EachToken calls fn with every stored token, in the order of their
// fingerprints.
func (r *Repository) EachToken(ctx context.Context, fn func(StoredToken) error) error {
	return scan(ctx, r.st, Tokens, func(id string, src jsonx.RawMessage) error {
		var t StoredToken
		if err := jsonx.Unmarshal(src, &t); err != nil {
			return fmt.Errorf("decode the stored token %s: %w", id, err)
		}
		return fn(t)
	})
}

// APIKey is Kuzzle's API key document (model/storage/apiKey.js). The JWT
// is not kept in it, as Kuzzle 2.56 does not: only its fingerprint.
type APIKey struct {
	// ID is the key's _id: the one asked for, else the fingerprint.
	ID string `json:"-"`
	// UserID is the owner's kuid.
	UserID string `json:"userId"`
	// Description is what the creator said the key is for.
	Description string `json:"description"`
	// ExpiresAt is the expiry in Unix milliseconds, -1 for never.
	ExpiresAt int64 `json:"expiresAt"`
	// TTL is the lifetime in milliseconds, -1 for never.
	TTL int64 `json:"ttl"`
	// Fingerprint is Fingerprint(the key's JWT).
	Fingerprint string `json:"fingerprint"`
}

// AddAPIKey stores a new API key: its token t (which must be k's) in
// Tokens and its document k, written by creator, in APIKeys. k's
// Fingerprint is set from t. An _id already taken is
// services.storage.document_already_exists; on any error nothing is
// left stored (the caller revokes t).
func (r *Repository) AddAPIKey(ctx context.Context, t StoredToken, k APIKey, creator string) error {
	k.Fingerprint = Fingerprint(t.JWT)
	body, err := jsonx.Marshal(k)
	if err != nil {
		return fmt.Errorf("encode the API key %s: %w", k.ID, err)
	}
	if err := r.SaveToken(ctx, t); err != nil {
		return err
	}
	if err := r.writeOne(ctx, APIKeys, store.Op{Kind: store.OpCreate, ID: k.ID, Body: body, User: creator}); err != nil {
		_ = r.DeleteToken(ctx, t.JWT)
		return err
	}
	return nil
}

// RemoveAPIKey deletes userID's API key id and its stored token, and
// returns the key's JWT for the caller to revoke ("" when its token was
// no longer stored): services.storage.not_found when userID has no such
// key.
func (r *Repository) RemoveAPIKey(ctx context.Context, userID, id string) (string, error) {
	k, err := r.APIKeyOf(ctx, userID, id)
	if err != nil {
		return "", err
	}
	t, found, err := r.StoredTokenOf(ctx, k.Fingerprint)
	if err != nil {
		return "", err
	}
	if found {
		if err := r.DeleteToken(ctx, t.JWT); err != nil {
			return "", err
		}
	}
	if err := r.writeOne(ctx, APIKeys, store.Op{Kind: store.OpDelete, ID: id}); err != nil {
		return "", fmt.Errorf("delete the API key %s: %w", id, err)
	}
	return t.JWT, nil
}

// Source is the key's _source as Kuzzle serializes it; jwt, when not
// empty, is added as "token" (the answer to createApiKey only).
func (k APIKey) Source(jwt string) map[string]any {
	src := map[string]any{
		"userId": k.UserID, "description": k.Description, "expiresAt": k.ExpiresAt,
		"ttl": k.TTL, "fingerprint": k.Fingerprint,
	}
	if jwt != "" {
		src["token"] = jwt
	}
	return src
}

// APIKeyHits is Kuzzle's answer to searchApiKeys: {hits: [{_id,
// _source}], total}, without the tokens.
func APIKeyHits(keys []APIKey) map[string]any {
	hits := make([]map[string]any, len(keys))
	for i, k := range keys {
		hits[i] = map[string]any{"_id": k.ID, "_source": k.Source("")}
	}
	return map[string]any{"hits": hits, "total": len(hits)}
}

// APIKeyOf returns userID's API key id: services.storage.not_found when
// there is none or it belongs to another user (Kuzzle's ApiKey.load).
func (r *Repository) APIKeyOf(ctx context.Context, userID, id string) (APIKey, error) {
	docs, err := r.st.Get(ctx, Index, APIKeys, []string{id})
	if err != nil {
		return APIKey{}, fmt.Errorf("read the API key %s: %w", id, err)
	}
	var k APIKey
	if docs[0].Found {
		if err := jsonx.Unmarshal(docs[0].Source, &k); err != nil {
			return APIKey{}, fmt.Errorf("decode the API key %s: %w", id, err)
		}
	}
	if !docs[0].Found || k.UserID != userID {
		return APIKey{}, kerror.New("services.storage.not_found", id, Index, APIKeys)
	}
	k.ID = id
	return k, nil
}

// SearchAPIKeys searches userID's API keys with q (an Elasticsearch query
// object; empty for all), as Kuzzle's searchApiKeys does. size < 0 is the
// store's default.
func (r *Repository) SearchAPIKeys(ctx context.Context, userID string, q jsonx.RawMessage, from, size int) ([]APIKey, error) {
	must := q
	if isEmptyObject(q) {
		must = jsonx.RawMessage(`{"match_all":{}}`)
	}
	uid, err := jsonx.Marshal(userID)
	if err != nil {
		return nil, err
	}
	body := fmt.Sprintf(`{"query":{"bool":{"filter":{"bool":{"must":{"term":{"userId":%s}}}},"must":%s}}}`, uid, must)
	m, err := r.st.Mapping(ctx, Index, APIKeys)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", APIKeys, err)
	}
	s, err := query.ParseSearch(jsonx.RawMessage(body), "", m)
	if err != nil {
		return nil, err
	}
	s.From, s.Size = from, size
	res, err := r.st.Search(ctx, Index, APIKeys, s)
	if err != nil {
		return nil, err
	}
	keys := make([]APIKey, 0, len(res.Hits))
	for _, h := range res.Hits {
		var k APIKey
		if err := jsonx.Unmarshal(h.Source, &k); err != nil {
			return nil, fmt.Errorf("decode the API key %s: %w", h.ID, err)
		}
		k.ID = h.ID
		keys = append(keys, k)
	}
	return keys, nil
}

// isEmptyObject reports whether raw is absent, null or {}.
func isEmptyObject(raw jsonx.RawMessage) bool {
	if len(raw) == 0 || string(raw) == "null" {
		return true
	}
	var m map[string]jsonx.RawMessage
	return jsonx.Unmarshal(raw, &m) == nil && len(m) == 0
}

// isNotFound reports whether err is services.storage.not_found.
func isNotFound(err error) bool {
	var kerr *kerror.Error
	return errors.As(err, &kerr) && kerr.ID == "services.storage.not_found"
}
