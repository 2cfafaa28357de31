package security

import (
	"reflect"
	"testing"

	"github.com/starlingmq/starling/internal/jsonx"
)

func TestParseUserErrors(t *testing.T) {
	tests := []struct {
		name, action, id, body, errID, message string
	}{
		{"create no body", "create", "u", ``, "api.assert.body_required", "The request must specify a body."},
		{"create no content", "create", "u", `{}`, "api.assert.missing_argument", `Missing argument "body.content".`},
		{"create content array", "create", "u", `{"content":[]}`, "api.assert.invalid_type", `Wrong type for argument "body.content" (expected: object)`},
		{"create no profileIds", "create", "u", `{"content":{}}`, "api.assert.missing_argument", `Missing argument "body.content.profileIds".`},
		{"create profileIds string", "create", "u", `{"content":{"profileIds":"admin"}}`, "api.assert.invalid_type", `Wrong type for argument "body.content.profileIds" (expected: array)`},
		{"create empty profileIds", "create", "u", `{"content":{"profileIds":[]}}`, "security.user.no_profile", `Cannot load user "u": there is no security profiles associated to it`},
		{"create profileIds not strings", "create", "u", `{"content":{"profileIds":["a",1]}}`, "api.assert.invalid_type", `Wrong type for argument "profileIds" (expected: string[])`},
		{"create anonymous", "create", "-1", `{"content":{"profileIds":["default"]}}`, "security.user.anonymous_profile_required", "The anonymous user must be assigned to the anonymous profile"},
		{"replace no profileIds", "replace", "u", `{"name":"x"}`, "api.assert.missing_argument", `Missing argument "body.profileIds".`},
		{"replace null profileIds", "replace", "u", `{"profileIds":null}`, "api.assert.invalid_type", `Wrong type for argument "body.profileIds" (expected: array)`},
		{"update profileIds string", "update", "u", `{"profileIds":"admin"}`, "api.assert.invalid_type", `Wrong type for argument "body.profileIds" (expected: array)`},
		{"update empty profileIds", "update", "u", `{"profileIds":[]}`, "security.user.no_profile", `Cannot load user "u": there is no security profiles associated to it`},
	}
	current := &User{ID: "u", ProfileIDs: []string{"default"}, Content: map[string]any{"name": "x"}}
	for _, tt := range tests {
		var err error
		switch tt.action {
		case "create":
			_, err = ParseUserCreate(tt.id, []byte(tt.body))
		case "replace":
			_, err = ParseUserReplace(tt.id, []byte(tt.body))
		case "update":
			_, err = ParseUserUpdate(current, []byte(tt.body))
		}
		wantError(t, tt.name, err, tt.errID, tt.message)
	}
}

func TestParseUser(t *testing.T) {
	created, err := ParseUserCreate("u", []byte(`{"content":{"profileIds":["default"],"name":"Ann","_id":"x","_kuzzle_info":{}},"credentials":{}}`))
	if err != nil {
		t.Fatal(err)
	}
	want := &User{ID: "u", ProfileIDs: []string{"default"}, Content: map[string]any{"name": "Ann"}}
	if !reflect.DeepEqual(created, want) {
		t.Errorf("ParseUserCreate = %+v, want %+v", created, want)
	}
	replaced, err := ParseUserReplace("u", []byte(`{"profileIds":["admin"],"age":3}`))
	if err != nil {
		t.Fatal(err)
	}
	want = &User{ID: "u", ProfileIDs: []string{"admin"}, Content: map[string]any{"age": float64(3)}}
	if !reflect.DeepEqual(replaced, want) {
		t.Errorf("ParseUserReplace = %+v, want %+v", replaced, want)
	}
	updated, err := ParseUserUpdate(created, []byte(`{"age":4,"profileIds":null}`))
	if err != nil {
		t.Fatal(err)
	}
	want = &User{ID: "u", ProfileIDs: []string{"default"}, Content: map[string]any{"name": "Ann", "age": float64(4)}}
	if !reflect.DeepEqual(updated, want) {
		t.Errorf("ParseUserUpdate = %+v, want %+v", updated, want)
	}
	anonymous, err := ParseUserUpdate(AnonymousUser(), []byte(`{"profileIds":["anonymous","default"]}`))
	if err != nil || !reflect.DeepEqual(anonymous.ProfileIDs, []string{"anonymous", "default"}) {
		t.Errorf("anonymous update = %+v, %v", anonymous, err)
	}
}

func TestUserJSON(t *testing.T) {
	user := &User{ID: "u", ProfileIDs: []string{"admin"}, Content: map[string]any{"name": "Ann", "profileIds": "stale"}}
	encoded, err := jsonx.Marshal(user)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"name":"Ann","profileIds":["admin"]}`; string(encoded) != want {
		t.Errorf("Marshal = %s, want %s", encoded, want)
	}
	var decoded User
	if err := jsonx.Unmarshal([]byte(`{"name":"Ann","profileIds":["admin"],"_kuzzle_info":{"author":"-1"}}`), &decoded); err != nil {
		t.Fatal(err)
	}
	want := User{ProfileIDs: []string{"admin"}, Content: map[string]any{"name": "Ann"}}
	if !reflect.DeepEqual(decoded, want) {
		t.Errorf("Unmarshal = %+v, want %+v", decoded, want)
	}
}

func TestRoleProfileJSON(t *testing.T) {
	role := allowAll("admin")
	encoded, err := jsonx.Marshal(role)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"controllers":{"*":{"actions":{"*":true}}}}`; string(encoded) != want {
		t.Errorf("role = %s, want %s", encoded, want)
	}
	profile := &Profile{ID: "p", RateLimit: 10, Policies: []Policy{
		{RoleID: "a"},
		{RoleID: "b", RestrictedTo: []Restriction{{Index: "i"}, {Index: "j", Collections: []string{"c"}}}},
	}}
	encoded, err = jsonx.Marshal(profile)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"policies":[{"roleId":"a"},{"roleId":"b","restrictedTo":[{"index":"i"},{"index":"j","collections":["c"]}]}],"rateLimit":10}`
	if string(encoded) != want {
		t.Errorf("profile = %s, want %s", encoded, want)
	}
	var decoded Profile
	if err := jsonx.Unmarshal(encoded, &decoded); err != nil {
		t.Fatal(err)
	}
	decoded.ID = "p"
	if !reflect.DeepEqual(&decoded, profile) {
		t.Errorf("profile round trip = %+v, want %+v", decoded, profile)
	}
}
