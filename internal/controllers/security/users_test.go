package security

import (
	"strings"
	"testing"

	"github.com/starlingmq/starling/internal/security/token"
	"github.com/starlingmq/starling/internal/store/storetest"
)

const userInfo = `"_kuzzle_info":{"author":"admin-1","createdAt":0,"updatedAt":null,"updater":null}`

func TestProfiles(t *testing.T) { stores.Run(t, testProfiles) }

func testProfiles(t *testing.T, fresh storetest.Fresh) {
	f := newFixture(t, fresh)
	f.run([]step{
		{"create", "createProfile", `"_id":"p","body":{"policies":[{"roleId":"default","restrictedTo":[{"index":"i"}]}],"rateLimit":5}`,
			`{"_id":"p","_source":{"_kuzzle_info":{"author":"admin-1","createdAt":0,"updatedAt":null,"updater":null},"optimizedPolicies":[{"restrictedTo":{},"roleId":"default"}],"policies":[{"restrictedTo":[{"index":"i"}],"roleId":"default"}],"rateLimit":5}}`, ""},
		{"missing role", "createProfile", `"_id":"q","body":{"policies":[{"roleId":"nope"}]}`, "", "security.role.not_found"},
		{"no policies", "createProfile", `"_id":"q","body":{}`, "", "api.assert.missing_argument"},
		{"strict unknown index", "createOrReplaceProfile", `"_id":"q","strict":true,"body":{"policies":[{"roleId":"default","restrictedTo":[{"index":"nope"}]}]}`, "", "services.storage.unknown_index"},
		{"get", "getProfile", `"_id":"admin"`, `{"_id":"admin","_source":{"_kuzzle_info":{"author":null,"createdAt":0,"updatedAt":null,"updater":null},"optimizedPolicies":[{"roleId":"admin"}],"policies":[{"roleId":"admin"}],"rateLimit":0}}`, ""},
		{"get missing", "getProfile", `"_id":"nope"`, "", "security.profile.not_found"},
		{"mGet missing", "mGetProfiles", `"body":{"ids":["admin","nope"]}`, "", "security.profile.not_found"},
		{"update", "updateProfile", `"_id":"p","body":{"rateLimit":7}`, "", ""},
		{"update missing", "updateProfile", `"_id":"nope","body":{"rateLimit":7}`, "", "security.profile.not_found"},
		{"update bad rateLimit", "updateProfile", `"_id":"p","body":{"rateLimit":-1}`, "", "api.assert.invalid_argument"},
		{"rights", "getProfileRights", `"_id":"p"`, `{"hits":[{"action":"*","collection":"*","controller":"*","index":"i","value":"allowed"}],"total":1}`, ""},
		{"search by role", "searchProfiles", `"body":{"roles":["default"]}`, "", ""},
		{"search roles and query", "searchProfiles", `"body":{"roles":["default"],"query":{}}`, "", "api.assert.invalid_argument"},
		{"delete built-in", "deleteProfile", `"_id":"default"`, "", "security.profile.cannot_delete"},
		{"create user", "createUser", `"_id":"u","body":{"content":{"profileIds":["p"]}}`, "", ""},
		{"delete in use", "deleteProfile", `"_id":"p"`, "", "security.profile.in_use"},
		{"delete removing from users", "deleteProfile", `"_id":"p","onAssignedUsers":"remove"`, `{"_id":"p"}`, ""},
	})
	if got := f.must("getProfile", `"_id":"admin"`); got == "" {
		t.Fatal("no admin profile")
	}
	if got := f.must("searchProfiles", `"body":{"roles":["default"]}`); !hasIDs(got, "default") {
		t.Errorf("searchProfiles by role: %s", got)
	}
	if got := f.must("getUser", `"_id":"u"`); !strings.Contains(got, `"profileIds":["anonymous"]`) {
		t.Errorf("user after its only profile was removed: %s", got)
	}
}

func TestUsers(t *testing.T) { stores.Run(t, testUsers) }

func testUsers(t *testing.T, fresh storetest.Fresh) {
	f := newFixture(t, fresh)
	f.run([]step{
		{"create", "createUser", `"_id":"ann","body":{"content":{"profileIds":["default"],"name":"Ann"},"credentials":{"local":{"password":"x"}}}`,
			`{"_id":"ann","_source":{"name":"Ann","profileIds":["default"],` + userInfo + `}}`, ""},
		{"create again", "createUser", `"_id":"ann","body":{"content":{"profileIds":["default"]}}`, "", "security.user.already_exists"},
		{"credentials already there", "createUser", `"_id":"ann","body":{"content":{"profileIds":["default"]},"credentials":{"local":{}}}`, "", "security.credentials.database_inconsistency"},
		{"unknown strategy", "createUser", `"_id":"bob","body":{"content":{"profileIds":["default"]},"credentials":{"oauth":{}}}`, "", "security.credentials.unknown_strategy"},
		{"rejected credentials", "createUser", `"_id":"bob","body":{"content":{"profileIds":["default"]},"credentials":{"local":{"bad":true}}}`, "", "security.credentials.rejected"},
		{"rolled back", "getUser", `"_id":"bob"`, "", "security.user.not_found"},
		{"no content", "createUser", `"body":{}`, "", "api.assert.missing_argument"},
		{"no body", "createUser", ``, "", "api.assert.body_required"},
		{"profileIds not array", "createUser", `"body":{"content":{"profileIds":"default"}}`, "", "api.assert.invalid_type"},
		{"no profile", "createUser", `"body":{"content":{"profileIds":[]}}`, "", "security.user.no_profile"},
		{"missing profile", "createUser", `"body":{"content":{"profileIds":["nope"]}}`, "", "security.profile.not_found"},
		{"restricted with profiles", "createRestrictedUser", `"body":{"content":{"profileIds":["admin"]}}`, "", "api.assert.forbidden_argument"},
		{"restricted", "createRestrictedUser", `"_id":"rita","body":{"content":{"name":"Rita"}}`,
			`{"_id":"rita","_source":{"name":"Rita","profileIds":["default"],` + userInfo + `}}`, ""},
		{"get", "getUser", `"_id":"ann"`, `{"_id":"ann","_source":{"name":"Ann","profileIds":["default"],` + userInfo + `}}`, ""},
		{"get anonymous", "getUser", `"_id":"-1"`, `{"_id":"-1","_source":{"name":"Anonymous","profileIds":["anonymous"]}}`, ""},
		{"get missing", "getUser", `"_id":"nope"`, "", "security.user.not_found"},
		{"mGet skips missing", "mGetUsers", `"body":{"ids":["ann","nope"]}`, `{"hits":[{"_id":"ann","_source":{"name":"Ann","profileIds":["default"],` + userInfo + `}}]}`, ""},
		{"mGet ids argument", "mGetUsers", `"ids":"ann,rita"`, "", ""},
		{"mGet no ids", "mGetUsers", ``, "", "api.assert.missing_argument"},
		{"update", "updateUser", `"_id":"ann","body":{"age":3}`,
			`{"_id":"ann","_source":{"_kuzzle_info":{"author":"admin-1","createdAt":0,"updatedAt":0,"updater":"admin-1"},"age":3,"name":"Ann","profileIds":["default"]}}`, ""},
		{"update missing", "updateUser", `"_id":"nope","body":{"age":3}`, "", "security.user.not_found"},
		{"update profileIds not array", "updateUser", `"_id":"ann","body":{"profileIds":"admin"}`, "", "api.assert.invalid_type"},
		{"replace", "replaceUser", `"_id":"ann","body":{"profileIds":["admin"],"nick":"A"}`, "", ""},
		{"replace missing", "replaceUser", `"_id":"nope","body":{"profileIds":["admin"]}`, "", "security.user.not_found"},
		{"replace no profileIds", "replaceUser", `"_id":"ann","body":{"nick":"A"}`, "", "api.assert.missing_argument"},
		{"rights", "getUserRights", `"_id":"ann"`, `{"hits":[{"action":"*","collection":"*","controller":"*","index":"*","value":"allowed"}],"total":1}`, ""},
		{"rights missing", "getUserRights", `"_id":"nope"`, "", "security.user.not_found"},
		{"search", "searchUsers", `"body":{"query":{"terms":{"profileIds":["admin"]}}}`, "", ""},
		{"search query not object", "searchUsers", `"body":{"query":[]}`, "", "api.assert.invalid_type"},
		{"search bad scroll", "searchUsers", `"scroll":1`, "", "api.assert.invalid_type"},
		{"revoke", "revokeTokens", `"_id":"ann"`, `null`, ""},
	})
	if got := f.must("getUser", `"_id":"ann"`); !strings.Contains(got, `"nick":"A","profileIds":["admin"]`) || strings.Contains(got, `"name"`) {
		t.Errorf("replaced user: %s", got)
	}
	if got := f.must("searchUsers", `"body":{"query":{"terms":{"profileIds":["admin"]}}}`); !hasIDs(got, "ann") || !strings.Contains(got, `"total":1}`) {
		t.Errorf("searchUsers: %s", got)
	}
	if got := f.must("searchUsers", `"size":1,"scroll":"1m","body":{"sort":["_id"]}`); !hasIDs(got, "ann") || !strings.Contains(got, `"scrollId":`) || !strings.Contains(got, `"total":2}`) {
		t.Errorf("searchUsers with scroll: %s", got)
	}
	generated := f.must("createUser", `"body":{"content":{"profileIds":["default"]}}`)
	if !strings.HasPrefix(generated, `{"_id":"kuid-`) {
		t.Errorf("generated kuid: %s", generated)
	}
	// deleteUser removes the credentials and the tokens too.
	tok, err := f.tokens.Issue("ann", token.IssueOptions{})
	if err != nil {
		t.Fatal(err)
	}
	f.run([]step{
		{"delete", "deleteUser", `"_id":"ann"`, `{"_id":"ann"}`, ""},
		{"delete again", "deleteUser", `"_id":"ann"`, "", "security.user.not_found"},
		{"mDelete partial", "mDeleteUsers", `"body":{"ids":["rita","nope"]}`, "", "services.storage.incomplete_delete"},
		{"mDelete done", "getUser", `"_id":"rita"`, "", "security.user.not_found"},
	})
	if _, err := f.tokens.Verify(tok.JWT); err == nil {
		t.Error("the deleted user's token still verifies")
	}
	if len(f.creds.stored) != 0 {
		t.Errorf("credentials left: %v", f.creds.stored)
	}
}
