package security

import (
	"errors"
	"reflect"
	"testing"

	"github.com/starlingmq/starling/internal/kerror"
)

// wantError checks that err is the Kuzzle error id with the message
// message.
func wantError(t *testing.T, name string, err error, id, message string) {
	t.Helper()
	var kerr *kerror.Error
	if !errors.As(err, &kerr) {
		t.Errorf("%s: error = %v, want %s", name, err, id)
		return
	}
	if kerr.ID != id || kerr.Message != message {
		t.Errorf("%s: error = %s %q, want %s %q", name, kerr.ID, kerr.Message, id, message)
	}
}

func TestParseRoleErrors(t *testing.T) {
	tests := []struct {
		name, id, body, errID, message string
	}{
		{"no body", "r", ``, "api.assert.body_required", "The request must specify a body."},
		{"null body", "r", `null`, "api.assert.body_required", "The request must specify a body."},
		{"array body", "r", `[]`, "api.assert.invalid_type", `Wrong type for argument "body" (expected: object)`},
		{"no controllers", "r", `{}`, "api.assert.missing_argument", `Missing argument "r.controllers".`},
		{"null controllers", "r", `{"controllers":null}`, "api.assert.missing_argument", `Missing argument "r.controllers".`},
		{"controllers array", "r", `{"controllers":[]}`, "api.assert.invalid_type", `Wrong type for argument "r.controllers" (expected: object)`},
		{"controllers string", "r", `{"controllers":"x"}`, "api.assert.invalid_type", `Wrong type for argument "r.controllers" (expected: object)`},
		{"empty controllers", "r", `{"controllers":{}}`, "api.assert.empty_argument", `The argument "r.controllers" is empty.`},
		{"controller not object", "r", `{"controllers":{"document":true}}`, "api.assert.invalid_type", `Wrong type for argument "document" (expected: object)`},
		{"empty controller", "r", `{"controllers":{"document":{}}}`, "api.assert.empty_argument", `The argument "document" is empty.`},
		{"no actions", "r", `{"controllers":{"document":{"foo":1}}}`, "api.assert.missing_argument", `Missing argument "document".`},
		{"actions array", "r", `{"controllers":{"document":{"actions":[]}}}`, "api.assert.invalid_type", `Wrong type for argument "document.actions" (expected: object)`},
		{"empty actions", "r", `{"controllers":{"document":{"actions":{}}}}`, "api.assert.empty_argument", `The argument "document.actions" is empty.`},
		{"action not boolean", "r", `{"controllers":{"document":{"actions":{"get":"true"}}}}`, "api.assert.invalid_type", `Wrong type for argument "document.actions.get" (expected: boolean)`},
		{"action closure", "r", `{"controllers":{"document":{"actions":{"get":{"test":"return true"}}}}}`, "api.assert.invalid_type", `Wrong type for argument "document.actions.get" (expected: boolean)`},
		{"anonymous cannot log in", "anonymous", `{"controllers":{"auth":{"actions":{"login":false}}}}`, "security.role.login_required", `Cannot remove the "login" action from the anonymous role.`},
		{"wildcard controller, named action", "r", `{"controllers":{"*":{"actions":{"get":true}}}}`, "security.role.unknown_action", `Trying to set role r with a non-existing action 'get' in controller '*'. %s`},
	}
	for _, tt := range tests {
		_, err := ParseRole(tt.id, []byte(tt.body))
		wantError(t, tt.name, err, tt.errID, tt.message)
	}
}

func TestParseRole(t *testing.T) {
	role, err := ParseRole("editor", []byte(`{"controllers":{"document":{"actions":{"*":true,"delete":false}},"auth":{"actions":{"login":true}}},"_id":"ignored"}`))
	if err != nil {
		t.Fatal(err)
	}
	want := &Role{ID: "editor", Controllers: map[string]ControllerRights{
		"document": {Actions: map[string]bool{"*": true, "delete": false}},
		"auth":     {Actions: map[string]bool{"login": true}},
	}}
	if !reflect.DeepEqual(role, want) {
		t.Errorf("ParseRole = %+v, want %+v", role, want)
	}
	if _, err := ParseRole("anonymous", []byte(`{"controllers":{"*":{"actions":{"*":true}}}}`)); err != nil {
		t.Errorf("anonymous allowed everything: %v", err)
	}
}

type catalog map[string][]string

func (c catalog) Actions(controller string) ([]string, bool) {
	actions, ok := c[controller]
	return actions, ok
}

func TestValidateActions(t *testing.T) {
	known := catalog{"document": {"get", "create"}}
	tests := []struct {
		name        string
		controllers map[string]ControllerRights
		force       bool
		errID       string
		message     string
	}{
		{"known", map[string]ControllerRights{"document": {Actions: map[string]bool{"get": true, "*": false}}, "*": {Actions: map[string]bool{"*": true}}}, false, "", ""},
		{"unknown controller", map[string]ControllerRights{"nope": {Actions: map[string]bool{"get": true}}}, false,
			"security.role.unknown_controller", "Trying to set role r with a non-existing controller 'nope'. "},
		{"unknown action", map[string]ControllerRights{"document": {Actions: map[string]bool{"gett": true}}}, false,
			"security.role.unknown_action", "Trying to set role r with a non-existing action 'gett' in controller 'document'. "},
		{"forced", map[string]ControllerRights{"nope": {Actions: map[string]bool{"get": true}}}, true, "", ""},
	}
	for _, tt := range tests {
		err := ValidateActions(&Role{ID: "r", Controllers: tt.controllers}, known, tt.force)
		if tt.errID == "" {
			if err != nil {
				t.Errorf("%s: %v", tt.name, err)
			}
			continue
		}
		wantError(t, tt.name, err, tt.errID, tt.message)
	}
}

func TestParseProfileErrors(t *testing.T) {
	unexpectedPolicyKey := `Unexpected argument "p.policies[0].foo" (accepted arguments: "roleId", "restrictedTo")`
	tests := []struct {
		name, id, body, errID, message string
	}{
		{"no body", "p", ``, "api.assert.body_required", "The request must specify a body."},
		{"no policies", "p", `{}`, "api.assert.missing_argument", `Missing argument "body.policies".`},
		{"null policies", "p", `{"policies":null}`, "api.assert.invalid_type", `Wrong type for argument "body.policies" (expected: array)`},
		{"policies object", "p", `{"policies":{}}`, "api.assert.invalid_type", `Wrong type for argument "body.policies" (expected: array)`},
		{"rateLimit string", "p", `{"policies":[],"rateLimit":"10"}`, "api.assert.invalid_type", `Wrong type for argument "rateLimit" (expected: integer)`},
		{"rateLimit float", "p", `{"policies":[],"rateLimit":1.5}`, "api.assert.invalid_type", `Wrong type for argument "rateLimit" (expected: integer)`},
		{"rateLimit negative", "p", `{"policies":[],"rateLimit":-1}`, "api.assert.invalid_argument", `Invalid argument "rateLimit". Expected: positive integer, or zero`},
		{"rateLimit before policies", "p", `{"policies":[{}],"rateLimit":-1}`, "api.assert.invalid_argument", `Invalid argument "rateLimit". Expected: positive integer, or zero`},
		{"no roleId", "p", `{"policies":[{}]}`, "api.assert.missing_argument", `Missing argument "p.policies[0].roleId".`},
		{"empty roleId", "p", `{"policies":[{"roleId":"a"},{"roleId":""}]}`, "api.assert.missing_argument", `Missing argument "p.policies[1].roleId".`},
		{"null policy", "p", `{"policies":[null]}`, "api.assert.missing_argument", `Missing argument "p.policies[0].roleId".`},
		{"roleId not string", "p", `{"policies":[{"roleId":5}]}`, "api.assert.invalid_type", `Wrong type for argument "p.policies[0].roleId" (expected: string)`},
		{"unknown policy key", "p", `{"policies":[{"roleId":"a","foo":1}]}`, "api.assert.unexpected_argument", unexpectedPolicyKey},
		{"roleId before unknown key", "p", `{"policies":[{"foo":1}]}`, "api.assert.missing_argument", `Missing argument "p.policies[0].roleId".`},
		{"restrictedTo object", "p", `{"policies":[{"roleId":"a","restrictedTo":{"index":"i"}}]}`, "api.assert.invalid_type", `Wrong type for argument "p.policies[0].restrictedTo" (expected: object[])`},
		{"restriction string", "p", `{"policies":[{"roleId":"a","restrictedTo":["i"]}]}`, "api.assert.invalid_type", `Wrong type for argument "p.policies[0].restrictedTo[i]" (expected: object)`},
		{"restriction null", "p", `{"policies":[{"roleId":"a","restrictedTo":[{"index":"i"},null]}]}`, "api.assert.invalid_type", `Wrong type for argument "p.policies[0].restrictedTo[null]" (expected: object)`},
		{"restriction array", "p", `{"policies":[{"roleId":"a","restrictedTo":[[1,2]]}]}`, "api.assert.invalid_type", `Wrong type for argument "p.policies[0].restrictedTo[1,2]" (expected: object)`},
		{"no index", "p", `{"policies":[{"roleId":"a","restrictedTo":[{"index":"i"},{"collections":["c"]}]}]}`, "api.assert.missing_argument", `Missing argument "p.policies[0].restrictedTo[1].index".`},
		{"null index", "p", `{"policies":[{"roleId":"a","restrictedTo":[{"index":null}]}]}`, "api.assert.missing_argument", `Missing argument "p.policies[0].restrictedTo[0].index".`},
		{"index not string", "p", `{"policies":[{"roleId":"a","restrictedTo":[{"index":3}]}]}`, "api.assert.invalid_type", `Wrong type for argument "p.policies[0].restrictedTo[0].index" (expected: string)`},
		{"collections string", "p", `{"policies":[{"roleId":"a","restrictedTo":[{"index":"i","collections":"c"}]}]}`, "api.assert.invalid_type", `Wrong type for argument "p.policies[0].restrictedTo[0].collections" (expected: string[])`},
		{"collection not string", "p", `{"policies":[{"roleId":"a","restrictedTo":[{"index":"i","collections":["c",1]}]}]}`, "api.assert.invalid_type", `Wrong type for argument "p.policies[0].restrictedTo[0].collections" (expected: string[])`},
		{"unknown restriction key", "p", `{"policies":[{"roleId":"a","restrictedTo":[{"index":"i","collection":["c"]}]}]}`, "api.assert.unexpected_argument", `Unexpected argument "p.policies[0].restrictedTo[0].collection" (accepted arguments: "index", "collections")`},
		{"anonymous without anonymous role", "anonymous", `{"policies":[{"roleId":"default"}]}`, "security.profile.missing_anonymous_role", "The anonymous profile must include the anonymous role"},
		{"anonymous empty policies", "anonymous", `{"policies":[]}`, "security.profile.missing_anonymous_role", "The anonymous profile must include the anonymous role"},
	}
	for _, tt := range tests {
		_, err := ParseProfile(tt.id, []byte(tt.body))
		wantError(t, tt.name, err, tt.errID, tt.message)
	}
}

func TestParseProfile(t *testing.T) {
	tests := []struct {
		name, body string
		want       *Profile
	}{
		{"empty policies get the default role", `{"policies":[]}`,
			&Profile{ID: "p", Policies: []Policy{{RoleID: "default"}}}},
		{"null rateLimit", `{"policies":[{"roleId":"a"}],"rateLimit":null}`,
			&Profile{ID: "p", Policies: []Policy{{RoleID: "a"}}}},
		{"integral float rateLimit", `{"policies":[{"roleId":"a"}],"rateLimit":5.0}`,
			&Profile{ID: "p", Policies: []Policy{{RoleID: "a"}}, RateLimit: 5}},
		{"restrictions", `{"policies":[{"roleId":"a","restrictedTo":[{"index":"i","collections":["c"]},{"index":"j","collections":null}]},{"roleId":"b","restrictedTo":null}]}`,
			&Profile{ID: "p", Policies: []Policy{
				{RoleID: "a", RestrictedTo: []Restriction{{Index: "i", Collections: []string{"c"}}, {Index: "j"}}},
				{RoleID: "b"},
			}}},
	}
	for _, tt := range tests {
		got, err := ParseProfile("p", []byte(tt.body))
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: ParseProfile = %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

func TestUpdateProfile(t *testing.T) {
	current := &Profile{ID: "p", Policies: []Policy{{RoleID: "a"}}, RateLimit: 3}
	got, err := UpdateProfile(current, []byte(`{"rateLimit":7}`))
	if err != nil {
		t.Fatal(err)
	}
	if want := (&Profile{ID: "p", Policies: []Policy{{RoleID: "a"}}, RateLimit: 7}); !reflect.DeepEqual(got, want) {
		t.Errorf("UpdateProfile = %+v, want %+v", got, want)
	}
	got, err = UpdateProfile(current, []byte(`{"policies":null}`))
	if err != nil {
		t.Fatal(err)
	}
	if want := (&Profile{ID: "p", Policies: []Policy{{RoleID: "default"}}, RateLimit: 3}); !reflect.DeepEqual(got, want) {
		t.Errorf("UpdateProfile(null policies) = %+v, want %+v", got, want)
	}
	_, err = UpdateProfile(current, []byte(`{"policies":[{"roleId":"a","x":1}]}`))
	wantError(t, "update", err, "api.assert.unexpected_argument", `Unexpected argument "p.policies[0].x" (accepted arguments: "roleId", "restrictedTo")`)
}
