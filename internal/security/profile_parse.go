package security

import (
	"fmt"
	"math"
	"strconv"

	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/kerror"
)

// ParseProfile reads the body of security:createProfile or
// createOrReplaceProfile and checks it as Kuzzle does: the body must hold a
// "policies" array (body.policies), an empty one gives the profile the
// "default" role, then Profile.validateDefinition (rateLimit first, then
// each policy and restriction) and the anonymous profile's anonymous role
// (security.profile.missing_anonymous_role). Whether the roles exist is
// the caller's check.
func ParseProfile(id string, body []byte) (*Profile, error) {
	obj, err := decodeBody(body)
	if err != nil {
		return nil, err
	}
	if _, err := bodyArray(obj, "policies", "body.policies"); err != nil {
		return nil, err
	}
	return profileFromObject(id, obj)
}

// UpdateProfile applies the body of security:updateProfile to the current
// profile as Kuzzle does (the body's top-level keys replace the current
// ones) and checks the result as ParseProfile does, without requiring a
// "policies" key.
func UpdateProfile(current *Profile, body []byte) (*Profile, error) {
	obj, err := decodeBody(body)
	if err != nil {
		return nil, err
	}
	encoded, err := jsonx.Marshal(current)
	if err != nil {
		return nil, fmt.Errorf("encode profile %s: %w", current.ID, err)
	}
	var merged map[string]any
	if err := jsonx.Unmarshal(encoded, &merged); err != nil {
		return nil, fmt.Errorf("decode profile %s: %w", current.ID, err)
	}
	for key, value := range obj {
		merged[key] = value
	}
	return profileFromObject(current.ID, merged)
}

// profileFromObject is Kuzzle's ProfileRepository.fromDTO default policy,
// Profile.validateDefinition and the anonymous profile check.
func profileFromObject(id string, obj map[string]any) (*Profile, error) {
	rateLimit, err := parseRateLimit(obj["rateLimit"])
	if err != nil {
		return nil, err
	}
	profile := &Profile{ID: id, RateLimit: rateLimit}
	raw := obj["policies"]
	if empty, ok := raw.([]any); !truthy(raw) || ok && len(empty) == 0 {
		raw = []any{map[string]any{"roleId": "default"}}
	}
	policies, ok := raw.([]any)
	if !ok {
		return nil, kerror.New("api.assert.invalid_type", id+".policies", "object[]")
	}
	for i, rawPolicy := range policies {
		policy, err := parsePolicy(fmt.Sprintf("%s.policies[%d]", id, i), rawPolicy)
		if err != nil {
			return nil, err
		}
		profile.Policies = append(profile.Policies, policy)
	}
	if id == "anonymous" && !profile.hasRole("anonymous") {
		return nil, kerror.New("security.profile.missing_anonymous_role")
	}
	return profile, nil
}

func (p *Profile) hasRole(roleID string) bool {
	for _, policy := range p.Policies {
		if policy.RoleID == roleID {
			return true
		}
	}
	return false
}

// parseRateLimit is Kuzzle's Profile.validateRateLimit: null or absent is
// 0, otherwise a non-negative integer.
func parseRateLimit(raw any) (int, error) {
	if raw == nil {
		return 0, nil
	}
	number, ok := raw.(float64)
	if !ok || number != math.Trunc(number) || math.IsInf(number, 0) {
		return 0, kerror.New("api.assert.invalid_type", "rateLimit", "integer")
	}
	if number < 0 {
		return 0, kerror.New("api.assert.invalid_argument", "rateLimit", "positive integer, or zero")
	}
	if number > math.MaxInt32 {
		return math.MaxInt32, nil
	}
	return int(number), nil
}

// parsePolicy checks one policy; path is "<id>.policies[<i>]".
func parsePolicy(path string, raw any) (Policy, error) {
	obj, _ := raw.(map[string]any)
	if !truthy(obj["roleId"]) {
		return Policy{}, kerror.New("api.assert.missing_argument", path+".roleId")
	}
	for _, key := range sortedKeys(obj) {
		if key != "roleId" && key != "restrictedTo" {
			return Policy{}, kerror.New("api.assert.unexpected_argument", path+"."+key, `"roleId", "restrictedTo"`)
		}
	}
	roleID, ok := obj["roleId"].(string)
	if !ok {
		return Policy{}, kerror.New("api.assert.invalid_type", path+".roleId", "string")
	}
	policy := Policy{RoleID: roleID}
	if !truthy(obj["restrictedTo"]) {
		return policy, nil
	}
	restrictions, ok := obj["restrictedTo"].([]any)
	if !ok {
		return Policy{}, kerror.New("api.assert.invalid_type", path+".restrictedTo", "object[]")
	}
	for j, rawRestriction := range restrictions {
		restriction, err := parseRestriction(path, j, rawRestriction)
		if err != nil {
			return Policy{}, err
		}
		policy.RestrictedTo = append(policy.RestrictedTo, restriction)
	}
	return policy, nil
}

// parseRestriction checks one restriction. As in Kuzzle, a restriction
// that is not an object is named by its value, not by its position.
func parseRestriction(policyPath string, j int, raw any) (Restriction, error) {
	obj, ok := raw.(map[string]any)
	if !ok {
		return Restriction{}, kerror.New("api.assert.invalid_type",
			policyPath+".restrictedTo["+jsString(raw)+"]", "object")
	}
	path := policyPath + ".restrictedTo[" + strconv.Itoa(j) + "]"
	if obj["index"] == nil {
		return Restriction{}, kerror.New("api.assert.missing_argument", path+".index")
	}
	index, ok := obj["index"].(string)
	if !ok {
		return Restriction{}, kerror.New("api.assert.invalid_type", path+".index", "string")
	}
	restriction := Restriction{Index: index}
	if rawCollections := obj["collections"]; rawCollections != nil {
		collections, err := parseCollections(path+".collections", rawCollections)
		if err != nil {
			return Restriction{}, err
		}
		restriction.Collections = collections
	}
	for _, key := range sortedKeys(obj) {
		if key != "index" && key != "collections" {
			return Restriction{}, kerror.New("api.assert.unexpected_argument", path+"."+key, `"index", "collections"`)
		}
	}
	return restriction, nil
}

func parseCollections(path string, raw any) ([]string, error) {
	array, ok := raw.([]any)
	if !ok {
		return nil, kerror.New("api.assert.invalid_type", path, "string[]")
	}
	collections := make([]string, 0, len(array))
	for _, element := range array {
		collection, ok := element.(string)
		if !ok {
			return nil, kerror.New("api.assert.invalid_type", path, "string[]")
		}
		collections = append(collections, collection)
	}
	return collections, nil
}
