package security

import (
	"reflect"
	"testing"

	"github.com/starlingmq/starling/internal/jsonx"
)

func TestDefaultConfig(t *testing.T) {
	cfg := DefaultConfig()
	encode := func(v any) string {
		b, err := jsonx.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	roles := map[string]string{
		"admin":     `{"controllers":{"*":{"actions":{"*":true}}}}`,
		"default":   `{"controllers":{"auth":{"actions":{"checkToken":true,"getCurrentUser":true,"getMyRights":true,"logout":true,"updateSelf":true}},"server":{"actions":{"publicApi":true}}}}`,
		"anonymous": `{"controllers":{"auth":{"actions":{"checkToken":true,"getCurrentUser":true,"getMyRights":true,"login":true}},"server":{"actions":{"openapi":true,"publicApi":true}}}}`,
	}
	for id, want := range roles {
		if got := encode(cfg.StandardRoles[id]); got != want {
			t.Errorf("standard role %s = %s, want %s", id, got, want)
		}
		if cfg.StandardRoles[id].ID != id {
			t.Errorf("standard role %s has id %q", id, cfg.StandardRoles[id].ID)
		}
	}
	profiles := map[string]string{
		"admin":     `{"policies":[{"roleId":"admin"}],"rateLimit":0}`,
		"default":   `{"policies":[{"roleId":"default"}],"rateLimit":10}`,
		"anonymous": `{"policies":[{"roleId":"anonymous"}],"rateLimit":200}`,
	}
	for id, want := range profiles {
		if got := encode(cfg.StandardProfiles[id]); got != want {
			t.Errorf("standard profile %s = %s, want %s", id, got, want)
		}
	}
	if got := encode(cfg.DefaultRole); got != `{"controllers":{"*":{"actions":{"*":true}}}}` {
		t.Errorf("default role = %s", got)
	}
	// The standard anonymous role and profile pass Kuzzle's own checks.
	if _, err := ParseRole("anonymous", []byte(roles["anonymous"])); err != nil {
		t.Errorf("standard anonymous role: %v", err)
	}
	if _, err := ParseProfile("anonymous", []byte(profiles["anonymous"])); err != nil {
		t.Errorf("standard anonymous profile: %v", err)
	}
}

func TestDefaults(t *testing.T) {
	builtins := Defaults(Config{})
	for _, id := range []string{"admin", "default", "anonymous"} {
		if !reflect.DeepEqual(builtins.Roles[id], allowAll(id)) {
			t.Errorf("bootstrap role %s = %+v", id, builtins.Roles[id])
		}
		if p := builtins.Profiles[id]; p.ID != id || p.RateLimit != 0 || !reflect.DeepEqual(p.Policies, []Policy{{RoleID: id}}) {
			t.Errorf("bootstrap profile %s = %+v", id, p)
		}
	}
	if !reflect.DeepEqual(builtins.Standard, DefaultConfig()) {
		t.Errorf("standard = %+v, want the default configuration", builtins.Standard)
	}
	if a := builtins.Anonymous; a.ID != "-1" || !reflect.DeepEqual(a.ProfileIDs, []string{"anonymous"}) || a.Content["name"] != "Anonymous" {
		t.Errorf("anonymous user = %+v", a)
	}
	anonymousProfile := builtins.Profiles[builtins.Anonymous.ProfileIDs[0]]
	if !anonymousProfile.Allows(builtins.Roles, "document", "create", "i", "c") {
		t.Error("bootstrap anonymous profile does not allow everything")
	}

	custom := &Role{Controllers: map[string]ControllerRights{"auth": {Actions: map[string]bool{"login": true}}}}
	customProfile := &Profile{Policies: []Policy{{RoleID: "default"}}, RateLimit: 1}
	builtins = Defaults(Config{
		StandardRoles:    map[string]*Role{"default": custom},
		StandardProfiles: map[string]*Profile{"default": customProfile},
		DefaultRole:      custom,
	})
	if got := builtins.Standard.StandardRoles["default"]; got.ID != "default" || !reflect.DeepEqual(got.Controllers, custom.Controllers) {
		t.Errorf("overridden standard role = %+v", got)
	}
	if got := builtins.Standard.StandardProfiles["default"]; got.ID != "default" || got.RateLimit != 1 {
		t.Errorf("overridden standard profile = %+v", got)
	}
	if builtins.Standard.StandardRoles["anonymous"].Controllers["auth"].Actions["login"] != true {
		t.Error("a role the configuration does not name lost its default")
	}
	if builtins.Standard.DefaultRole != custom {
		t.Error("default role not overridden")
	}
	if custom.ID != "" {
		t.Error("Defaults changed the caller's role")
	}
}
