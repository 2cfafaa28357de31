package security

import (
	"testing"

	"github.com/starlingmq/starling/internal/store/storetest"
)

const (
	reader     = `{"controllers":{"document":{"actions":{"get":true,"search":true}}}}`
	readerInfo = `"_kuzzle_info":{"author":"admin-1","createdAt":0,"updatedAt":null,"updater":null}`
)

func TestRoles(t *testing.T) { stores.Run(t, testRoles) }

func testRoles(t *testing.T, fresh storetest.Fresh) {
	f := newFixture(t, fresh)
	f.run([]step{
		{"create", "createRole", `"_id":"reader","body":` + reader,
			`{"_id":"reader","_source":{"controllers":{"document":{"actions":{"get":true,"search":true}}},` + readerInfo + `}}`, ""},
		{"create again", "createRole", `"_id":"reader","body":` + reader, "", "services.storage.document_already_exists"},
		{"create without body", "createRole", `"_id":"x"`, "", "api.assert.body_required"},
		{"create without _id", "createRole", `"body":` + reader, "", "api.assert.missing_argument"},
		{"create _id number", "createRole", `"_id":3,"body":` + reader, "", "api.assert.invalid_type"},
		{"create no controllers", "createRole", `"_id":"x","body":{}`, "", "api.assert.missing_argument"},
		{"create bad action value", "createRole", `"_id":"x","body":{"controllers":{"a":{"actions":{"b":1}}}}`, "", "api.assert.invalid_type"},
		{"create anonymous without login", "createOrReplaceRole", `"_id":"anonymous","body":` + reader, "", "security.role.login_required"},
		{"get", "getRole", `"_id":"reader"`, `{"_id":"reader","_source":{"controllers":{"document":{"actions":{"get":true,"search":true}}},` + readerInfo + `}}`, ""},
		{"get missing", "getRole", `"_id":"nope"`, "", "security.role.not_found"},
		{"mGet", "mGetRoles", `"body":{"ids":["reader"]}`, `{"hits":[{"_id":"reader","_source":{"controllers":{"document":{"actions":{"get":true,"search":true}}},` + readerInfo + `}}]}`, ""},
		{"mGet missing", "mGetRoles", `"body":{"ids":["reader","nope"]}`, "", "security.role.not_found"},
		{"mGet ids not array", "mGetRoles", `"body":{"ids":"reader"}`, "", "api.assert.invalid_type"},
		{"mGet no ids", "mGetRoles", `"body":{}`, "", "api.assert.missing_argument"},
		{"update missing", "updateRole", `"_id":"nope","body":` + reader, "", "services.storage.not_found"},
		{"update", "updateRole", `"_id":"reader","body":{"controllers":{"auth":{"actions":{"login":true}}}}`, "", ""},
		{"get updated", "getRole", `"_id":"reader"`, "", ""},
		{"search by controller", "searchRoles", `"body":{"controllers":["auth"]}`, "", ""},
		{"search controllers and query", "searchRoles", `"body":{"controllers":["auth"],"query":{"match_all":{}}}`, "", "api.assert.invalid_argument"},
		{"search controllers not array", "searchRoles", `"body":{"controllers":"auth"}`, "", "api.assert.invalid_type"},
		{"search size over the limit", "searchRoles", `"size":10001`, "", "services.storage.get_limit_exceeded"},
		{"delete built-in", "deleteRole", `"_id":"admin"`, "", "security.role.cannot_delete"},
		{"delete missing", "deleteRole", `"_id":"nope"`, "", "security.role.not_found"},
	})
	got := f.must("getRole", `"_id":"reader"`)
	if want := `{"_id":"reader","_source":{"_kuzzle_info":{"author":"admin-1","createdAt":0,"updatedAt":0,"updater":"admin-1"},"controllers":{"auth":{"actions":{"login":true}}}}}`; blank(got) != want {
		t.Errorf("updated role: %s", blank(got))
	}
	// Every built-in role gives rights on "*"; reader only on auth.
	if got := f.must("searchRoles", `"body":{"controllers":["auth"]},"from":1,"size":2`); !hasIDs(got, "anonymous", "default") {
		t.Errorf("searchRoles page: %s", got)
	}
	if got := f.must("searchRoles", `"body":{"controllers":["auth"]}`); !hasIDs(got, "admin", "anonymous", "default", "reader") || !contains(got, `"total":4`) {
		t.Errorf("searchRoles: %s", got)
	}
	if got := f.must("searchRoles", `"body":{"query":{"ids":{"values":["reader"]}}}`); !hasIDs(got, "reader") || !contains(got, `"total":1`) {
		t.Errorf("searchRoles query: %s", got)
	}
	f.must("createProfile", `"_id":"readers","body":{"policies":[{"roleId":"reader"}]}`)
	f.run([]step{
		{"delete in use", "deleteRole", `"_id":"reader"`, "", "security.role.in_use"},
		{"mDelete over the limit", "mDeleteRoles", `"body":{"ids":["a","b","c","d"]}`, "", "services.storage.write_limit_exceeded"},
		{"mDelete partial", "mDeleteRoles", `"body":{"ids":["reader","admin"]}`, "", "services.storage.incomplete_delete"},
		{"delete profile", "deleteProfile", `"_id":"readers"`, `{"_id":"readers"}`, ""},
		{"mDelete", "mDeleteRoles", `"body":{"ids":["reader"]}`, `["reader"]`, ""},
		{"gone", "getRole", `"_id":"reader"`, "", "security.role.not_found"},
	})
}

func TestMappingsAndRefresh(t *testing.T) { stores.Run(t, testMappingsAndRefresh) }

func testMappingsAndRefresh(t *testing.T, fresh storetest.Fresh) {
	f := newFixture(t, fresh)
	f.run([]step{
		{"user mapping", "getUserMapping", "", `{"mapping":{"profileIds":{"type":"keyword"}}}`, ""},
		{"update user mapping", "updateUserMapping", `"body":{"properties":{"name":{"type":"keyword"}}}`, "", ""},
		{"user mapping after", "getUserMapping", "", `{"mapping":{"name":{"type":"keyword"},"profileIds":{"type":"keyword"}}}`, ""},
		{"update without body", "updateRoleMapping", "", "", "api.assert.body_required"},
		{"refresh users", "refresh", `"collection":"users"`, `null`, ""},
		{"refresh other", "refresh", `"collection":"things"`, "", "api.assert.unexpected_argument"},
		{"refresh none", "refresh", "", "", "api.assert.missing_argument"},
	})
}

// hasIDs reports whether the hits of a result are exactly ids, in order.
func hasIDs(result string, ids ...string) bool {
	at := 0
	for _, id := range ids {
		i := indexFrom(result, `{"_id":"`+id+`"`, at)
		if i < 0 {
			return false
		}
		at = i + 1
	}
	return countOf(result, `{"_id":`) == len(ids)
}
