package node_test

import (
	"github.com/starlingmq/starling/internal/config"
	"strings"
	"testing"
)

// TestCreateFirstAdmin: the anonymous user of a new server creates the
// first admin with reset; the anonymous user is then restricted by
// security.standard, and no second first admin can be made.
func TestCreateFirstAdmin(t *testing.T) {
	_, c := securityServer(t, nil)
	r := mustCall(t, c, "security", "createFirstAdmin", `"_id":"root","reset":true,"body":{"content":{"name":"Root"},"credentials":{"local":{"username":"root","password":"root's password"}}}`)
	if !strings.Contains(string(r.Result), `"_id":"root"`) || !strings.Contains(string(r.Result), `"profileIds":["admin"]`) {
		t.Fatalf("createFirstAdmin: %s", r.Result)
	}
	root := `"jwt":"` + login(t, c, "root", "root's password", "").JWT + `"`
	for _, step := range []struct{ controller, action, extra, want string }{
		{"server", "info", ``, "security.rights.unauthorized"},
		{"security", "createFirstAdmin", `"_id":"root2","body":{}`, "security.rights.unauthorized"},
		{"document", "search", `"index":"i","collection":"c","body":{}`, "security.rights.unauthorized"},
		{"server", "publicApi", ``, ""},
		{"server", "info", root, ""},
		{"security", "createFirstAdmin", `"_id":"root2","body":{},` + root, "api.process.admin_exists"},
	} {
		if r := call(t, c, step.controller, step.action, step.extra); errorID(r) != step.want {
			t.Errorf("%s:%s %s: %s, want %q", step.controller, step.action, step.extra, r.raw, step.want)
		}
	}
	r = mustCall(t, c, "security", "getProfile", `"_id":"anonymous",`+root)
	if !strings.Contains(string(r.Result), `"rateLimit":200`) {
		t.Errorf("the anonymous profile after reset: %s", r.Result)
	}
}

// TestCredentialsRoundTrip: an admin gives a user local credentials, reads
// them back, changes, searches, validates and deletes them; logins follow.
func TestCredentialsRoundTrip(t *testing.T) {
	_, c := securityServer(t, nil)
	_, rootJWT := restrictedSecurity(t, c)
	root := `,"jwt":"` + rootJWT + `"`
	mustCall(t, c, "security", "createUser", `"_id":"bob","body":{"content":{"profileIds":["default"]}}`+root)
	steps := []struct{ action, extra, want, wantErr string }{
		{"hasCredentials", `"_id":"bob","strategy":"local"`, `false`, ""},
		{"createCredentials", `"_id":"bob","strategy":"local","body":{"username":"bobby","password":"first password"}`, `{"username":"bobby","kuid":"bob"}`, ""},
		{"createCredentials", `"_id":"bob","strategy":"local","body":{"username":"bobby2","password":"x"}`, "", "security.credentials.rejected"},
		{"createCredentials", `"_id":"nobody","strategy":"local","body":{"username":"n","password":"x"}`, "", "security.user.not_found"},
		{"createCredentials", `"_id":"bob","strategy":"oauth","body":{}`, "", "security.credentials.unknown_strategy"},
		{"hasCredentials", `"_id":"bob","strategy":"local"`, `true`, ""},
		{"getCredentials", `"_id":"bob","strategy":"local"`, `{"username":"bobby","kuid":"bob"}`, ""},
		{"getCredentialsById", `"_id":"bobby","strategy":"local"`, `{"username":"bobby","kuid":"bob"}`, ""},
		{"getUserStrategies", `"_id":"bob"`, `{"strategies":["local"],"total":1}`, ""},
		{"getCredentialFields", `"strategy":"local"`, `["username","password"]`, ""},
		{"getAllCredentialFields", ``, `{"local":["username","password"]}`, ""},
		{"validateCredentials", `"strategy":"local","body":{"username":"bobby","password":"x"}`, "", "security.credentials.rejected"},
		{"validateCredentials", `"strategy":"local","body":{"username":"fresh","password":"x"}`, `true`, ""},
		{"updateCredentials", `"_id":"bob","strategy":"local","body":{"password":"second password"}`, `{"username":"bobby","kuid":"bob"}`, ""},
		{"searchUsersByCredentials", `"strategy":"local","body":{"query":{"term":{"username":"bobby"}}}`, `{"hits":[{"username":"bobby","kuid":"bob"}],"total":1}`, ""},
	}
	for _, s := range steps {
		r := call(t, c, "security", s.action, strings.TrimPrefix(s.extra+root, ","))
		if errorID(r) != s.wantErr || (s.want != "" && string(r.Result) != s.want) {
			t.Errorf("%s %s: %s, want %s %q", s.action, s.extra, r.raw, s.want, s.wantErr)
		}
	}
	if r := call(t, c, "auth", "login", `"strategy":"local","body":{"username":"bobby","password":"first password"}`); errorID(r) != "plugin.strategy.missing_user" {
		t.Errorf("login with the former password: %s", r.raw)
	}
	login(t, c, "bobby", "second password", "")
	if r := mustCall(t, c, "security", "deleteCredentials", `"_id":"bob","strategy":"local"`+root); string(r.Result) != `{"acknowledged":true}` {
		t.Errorf("deleteCredentials: %s", r.raw)
	}
	if r := call(t, c, "auth", "login", `"strategy":"local","body":{"username":"bobby","password":"second password"}`); errorID(r) != "plugin.strategy.missing_user" {
		t.Errorf("login after deleteCredentials: %s", r.raw)
	}
	if r := call(t, c, "security", "getCredentials", `"_id":"bob","strategy":"local"`+root); errorID(r) != "security.credentials.rejected" {
		t.Errorf("getCredentials after deleteCredentials: %s", r.raw)
	}
}

// TestCheckRights: an admin asks whether users may run requests.
func TestCheckRights(t *testing.T) {
	_, c := securityServer(t, nil)
	rita, rootJWT := restrictedSecurity(t, c)
	root := `,"jwt":"` + rootJWT + `"`
	for _, s := range []struct{ userID, request, want string }{
		{"rita", `"controller":"document","action":"get","index":"shop","collection":"items"`, `{"allowed":true}`},
		{"rita", `"controller":"document","action":"get","index":"shop","collection":"secret"`, `{"allowed":false}`},
		{"rita", `"controller":"document","action":"create","index":"shop","collection":"items"`, `{"allowed":false}`},
		{"root", `"controller":"document","action":"create","index":"shop","collection":"secret"`, `{"allowed":true}`},
		{"-1", `"controller":"server","action":"now"`, `{"allowed":true}`},
		{"-1", `"controller":"server","action":"info"`, `{"allowed":false}`},
	} {
		r := mustCall(t, c, "security", "checkRights", `"userId":"`+s.userID+`","body":{`+s.request+`}`+root)
		if string(r.Result) != s.want {
			t.Errorf("checkRights of %s on %s: %s, want %s", s.userID, s.request, r.Result, s.want)
		}
	}
	if r := call(t, c, "security", "checkRights", `"userId":"rita","body":{"controller":"server","action":"now"},"jwt":"`+rita+`"`); errorID(r) != "security.rights.forbidden" {
		t.Errorf("checkRights by a user without the right: %s", r.raw)
	}
}

// TestLoadAndResetSecurities: admin:loadSecurities loads Kuzzle's fixture
// format (existing users fail the load unless skipped or overwritten), and
// admin:resetSecurity leaves the bootstrap definitions only.
func TestLoadAndResetSecurities(t *testing.T) {
	_, c := securityServer(t, nil)
	load := `"body":{"roles":{"writer":{"controllers":{"document":{"actions":{"*":true}}}}},` +
		`"profiles":{"writers":{"policies":[{"roleId":"writer"}]}},` +
		`"users":{"wes":{"content":{"profileIds":["writers"]},"credentials":{"local":{"username":"wes","password":"wes's password"}}}}}`
	mustCall(t, c, "admin", "loadSecurities", load)
	login(t, c, "wes", "wes's password", "")
	if r := call(t, c, "admin", "loadSecurities", load); errorID(r) != "security.user.prevent_overwrite" {
		t.Fatalf("loading an existing user: %s", r.raw)
	}
	mustCall(t, c, "admin", "loadSecurities", load+`,"onExistingUsers":"skip"`)
	mustCall(t, c, "admin", "loadSecurities", load+`,"onExistingUsers":"overwrite"`)
	r := mustCall(t, c, "admin", "resetSecurity", "")
	if string(r.Result) != `{"deletedProfiles":4,"deletedRoles":4,"deletedUsers":1}` {
		t.Fatalf("resetSecurity: %s", r.Result)
	}
	if r := call(t, c, "security", "getRole", `"_id":"writer"`); errorID(r) != "security.role.not_found" {
		t.Fatalf("a role after the reset: %s", r.raw)
	}
	if r := call(t, c, "auth", "login", `"strategy":"local","body":{"username":"wes","password":"wes's password"}`); errorID(r) == "" {
		t.Fatalf("a user after the reset logs in: %s", r.raw)
	}
	mustCall(t, c, "security", "getRole", `"_id":"anonymous"`)
}

// TestPasswordPolicies: the local strategy's passwordPolicies from the
// configuration refuse a weak password and a password holding the login.
func TestPasswordPolicies(t *testing.T) {
	_, c := securityServer(t, func(cfg *config.Config) {
		cfg.Security.Local.PasswordPolicies = []config.PasswordPolicy{{AppliesToAll: true, PasswordRegex: ".{12,}", ForbidLoginInPassword: true}}
	})
	for _, c2 := range []struct{ username, password string }{{"pat", "short"}, {"patricia", "my name is patricia"}} {
		r := call(t, c, "security", "createUser", `"_id":"`+c2.username+`","body":{"content":{"profileIds":["default"]},"credentials":{"local":{"username":"`+c2.username+`","password":"`+c2.password+`"}}}`)
		if r.Status == 200 {
			t.Fatalf("password %q for %s accepted: %s", c2.password, c2.username, r.raw)
		}
		if r := call(t, c, "security", "getUser", `"_id":"`+c2.username+`"`); errorID(r) != "security.user.not_found" {
			t.Fatalf("a refused user was kept: %s", r.raw)
		}
	}
	createUser(t, c, "pat", `["default"]`, "pat", "a long enough password")
}
