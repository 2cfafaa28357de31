package security

import (
	"fmt"
	"maps"
	"slices"

	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/kerror"
)

// AnonymousID is the id of the anonymous user, whose profile is
// AnonymousProfileID. Kuzzle also answers to "anonymous" when loading it.
const (
	AnonymousID        = "-1"
	AnonymousProfileID = "anonymous"
)

// AnonymousUser returns the anonymous user as Kuzzle builds it at startup:
// id "-1", name "Anonymous", profile "anonymous".
func AnonymousUser() *User {
	return &User{
		ID:         AnonymousID,
		ProfileIDs: []string{AnonymousProfileID},
		Content:    map[string]any{"name": "Anonymous"},
	}
}

// stripReserved removes from a user document the keys that are not
// content: the store and the profile list own them.
func stripReserved(doc map[string]any) {
	delete(doc, "profileIds")
	delete(doc, "_id")
	delete(doc, "_kuzzle_info")
}

// MarshalJSON encodes the user as Kuzzle stores it: its content with
// profileIds beside it.
func (u User) MarshalJSON() ([]byte, error) {
	doc := make(map[string]any, len(u.Content)+1)
	maps.Copy(doc, u.Content)
	stripReserved(doc)
	profileIDs := u.ProfileIDs
	if profileIDs == nil {
		profileIDs = []string{}
	}
	doc["profileIds"] = profileIDs
	return jsonx.Marshal(doc)
}

// UnmarshalJSON decodes a stored user: profileIds apart, the rest as
// content (without _id and _kuzzle_info). The id is not part of it.
func (u *User) UnmarshalJSON(data []byte) error {
	var doc map[string]any
	if err := jsonx.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("decode user: %w", err)
	}
	var stored struct {
		ProfileIDs []string `json:"profileIds"`
	}
	if err := jsonx.Unmarshal(data, &stored); err != nil {
		return fmt.Errorf("decode user profileIds: %w", err)
	}
	stripReserved(doc)
	u.ProfileIDs, u.Content = stored.ProfileIDs, doc
	return nil
}

// ParseUserCreate reads the body of security:createUser (and the content
// part of upsertUser): body.content must be an object holding a
// profileIds array; see userFrom for the checks on the user.
func ParseUserCreate(id string, body []byte) (*User, error) {
	obj, err := decodeBody(body)
	if err != nil {
		return nil, err
	}
	raw, present := obj["content"]
	if !present {
		return nil, kerror.New("api.assert.missing_argument", "body.content")
	}
	content, ok := raw.(map[string]any)
	if !ok {
		return nil, kerror.New("api.assert.invalid_type", "body.content", "object")
	}
	profileIDs, err := bodyArray(content, "profileIds", "body.content.profileIds")
	if err != nil {
		return nil, err
	}
	return userFrom(id, content, profileIDs)
}

// ParseUserReplace reads the body of security:replaceUser: the body is
// the user's content and must hold a profileIds array.
func ParseUserReplace(id string, body []byte) (*User, error) {
	obj, err := decodeBody(body)
	if err != nil {
		return nil, err
	}
	profileIDs, err := bodyArray(obj, "profileIds", "body.profileIds")
	if err != nil {
		return nil, err
	}
	return userFrom(id, obj, profileIDs)
}

// ParseUserUpdate applies the body of security:updateUser to the current
// user as Kuzzle does: the body's top-level keys replace the current
// content's, and profileIds, when present and not null, must be an array
// that replaces the current profiles.
func ParseUserUpdate(current *User, body []byte) (*User, error) {
	obj, err := decodeBody(body)
	if err != nil {
		return nil, err
	}
	content := make(map[string]any, len(current.Content)+len(obj))
	maps.Copy(content, current.Content)
	maps.Copy(content, obj)
	profileIDs := make([]any, len(current.ProfileIDs))
	for i, profileID := range current.ProfileIDs {
		profileIDs[i] = profileID
	}
	if obj["profileIds"] != nil {
		if profileIDs, err = bodyArray(obj, "profileIds", "body.profileIds"); err != nil {
			return nil, err
		}
	}
	return userFrom(current.ID, content, profileIDs)
}

// userFrom checks a user as Kuzzle's UserRepository does before storing
// it: at least one profile (security.user.no_profile), profile ids that are
// strings (api.assert.invalid_type "profileIds"), and the anonymous user
// keeping the anonymous profile (security.user.anonymous_profile_required).
// Whether the profiles exist is the caller's check.
func userFrom(id string, content map[string]any, rawProfileIDs []any) (*User, error) {
	if len(rawProfileIDs) == 0 {
		return nil, kerror.New("security.user.no_profile", id)
	}
	profileIDs := make([]string, len(rawProfileIDs))
	for i, raw := range rawProfileIDs {
		profileID, ok := raw.(string)
		if !ok {
			return nil, kerror.New("api.assert.invalid_type", "profileIds", "string[]")
		}
		profileIDs[i] = profileID
	}
	user := &User{ID: id, ProfileIDs: profileIDs, Content: make(map[string]any, len(content))}
	maps.Copy(user.Content, content)
	stripReserved(user.Content)
	if id == AnonymousID && !slices.Contains(profileIDs, AnonymousProfileID) {
		return nil, kerror.New("security.user.anonymous_profile_required")
	}
	return user, nil
}
