package security

import (
	"context"
	"strings"
	"testing"

	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/kerror"
	"github.com/starlingmq/starling/internal/store/storetest"
)

// The fake strategy's other methods: its info is {kuid, stored}, its own
// ids are kuids, its search answers every kuid it holds.

func (f *fakeCredentials) Update(_ context.Context, strategy, kuid string, credentials jsonx.RawMessage) (any, error) {
	key := strategy + "/" + kuid
	if _, ok := f.stored[key]; !ok {
		return nil, kerror.New("security.credentials.rejected", "no credentials")
	}
	f.stored[key] = string(credentials)
	return f.info(key, kuid), nil
}

func (f *fakeCredentials) GetInfo(_ context.Context, strategy, kuid string) (any, error) {
	key := strategy + "/" + kuid
	if _, ok := f.stored[key]; !ok {
		return nil, kerror.New("security.credentials.rejected", "no credentials")
	}
	return f.info(key, kuid), nil
}

func (f *fakeCredentials) GetByID(ctx context.Context, strategy, id string) (any, error) {
	return f.GetInfo(ctx, strategy, id)
}

func (f *fakeCredentials) Search(_ context.Context, strategy string, _ jsonx.RawMessage, from, size int) (any, error) {
	hits := []map[string]string{}
	for key := range f.stored {
		if kuid, ok := strings.CutPrefix(key, strategy+"/"); ok {
			hits = append(hits, map[string]string{"kuid": kuid})
		}
	}
	return map[string]any{"hits": hits, "total": len(hits), "from": from, "size": size}, nil
}

func (f *fakeCredentials) Fields(string) []string { return []string{"username", "password"} }

func (f *fakeCredentials) info(key, kuid string) map[string]any {
	return map[string]any{"kuid": kuid, "stored": jsonx.RawMessage(f.stored[key])}
}

func TestCredentialsActions(t *testing.T) { stores.Run(t, testCredentialsActions) }

func testCredentialsActions(t *testing.T, fresh storetest.Fresh) {
	f := newFixture(t, fresh)
	f.must("createUser", `"_id":"ann","body":{"content":{"profileIds":["default"]}}`)
	f.run([]step{
		{"has none", "hasCredentials", `"_id":"ann","strategy":"local"`, `false`, ""},
		{"create", "createCredentials", `"_id":"ann","strategy":"local","body":{"u":"ann"}`, `{"kuid":"ann","stored":{"u":"ann"}}`, ""},
		{"create no user", "createCredentials", `"_id":"bob","strategy":"local","body":{"u":"bob"}`, "", "security.user.not_found"},
		{"create no body", "createCredentials", `"_id":"ann","strategy":"local"`, "", "api.assert.body_required"},
		{"create no strategy", "createCredentials", `"_id":"ann","body":{}`, "", "api.assert.missing_argument"},
		{"create unknown strategy", "createCredentials", `"_id":"ann","strategy":"oauth","body":{}`, "", "security.credentials.unknown_strategy"},
		{"create rejected", "createCredentials", `"_id":"ann","strategy":"local","body":{"bad":true}`, "", "plugin.runtime.unexpected_error"},
		{"has", "hasCredentials", `"_id":"ann","strategy":"local"`, `true`, ""},
		{"get", "getCredentials", `"_id":"ann","strategy":"local"`, `{"kuid":"ann","stored":{"u":"ann"}}`, ""},
		{"get by id", "getCredentialsById", `"_id":"ann","strategy":"local"`, `{"kuid":"ann","stored":{"u":"ann"}}`, ""},
		{"update", "updateCredentials", `"_id":"ann","strategy":"local","body":{"u":"ann2"}`, `{"kuid":"ann","stored":{"u":"ann2"}}`, ""},
		{"validate", "validateCredentials", `"strategy":"local","body":{"u":"x"}`, `true`, ""},
		{"validate no strategy", "validateCredentials", `"body":{"u":"x"}`, "", "api.assert.missing_argument"},
		{"search", "searchUsersByCredentials", `"strategy":"local","from":1,"size":5,"body":{"query":{}}`, `{"from":1,"hits":[{"kuid":"ann"}],"size":5,"total":1}`, ""},
		{"search koncorde", "searchUsersByCredentials", `"strategy":"local","lang":"koncorde","body":{"query":{"equals":{"u":"x"}}}`, "", "api.assert.invalid_argument"},
		{"search empty koncorde", "searchUsersByCredentials", `"strategy":"local","lang":"koncorde","size":2,"body":{"query":{}}`, `{"from":0,"hits":[{"kuid":"ann"}],"size":2,"total":1}`, ""},
		{"search beyond the limit", "searchUsersByCredentials", `"strategy":"local","from":1,"size":10002`, "", "services.storage.get_limit_exceeded"},
		{"search unknown strategy", "searchUsersByCredentials", `"strategy":"oauth"`, "", "security.credentials.unknown_strategy"},
		{"fields", "getCredentialFields", `"strategy":"local"`, `["username","password"]`, ""},
		{"all fields", "getAllCredentialFields", ``, `{"local":["username","password"]}`, ""},
		{"user strategies", "getUserStrategies", `"_id":"ann"`, `{"strategies":["local"],"total":1}`, ""},
		{"anonymous strategies", "getUserStrategies", `"_id":"-1"`, `{"strategies":[],"total":0}`, ""},
		{"missing user strategies", "getUserStrategies", `"_id":"bob"`, "", "security.user.not_found"},
		{"delete", "deleteCredentials", `"_id":"ann","strategy":"local"`, `{"acknowledged":true}`, ""},
		{"has after delete", "hasCredentials", `"_id":"ann","strategy":"local"`, `false`, ""},
		{"get after delete", "getCredentials", `"_id":"ann","strategy":"local"`, "", "security.credentials.rejected"},
	})
}

func TestCreateFirstAdmin(t *testing.T) { stores.Run(t, testCreateFirstAdmin) }

func testCreateFirstAdmin(t *testing.T, fresh storetest.Fresh) {
	f := newFixture(t, fresh)
	f.run([]step{
		{"profileIds forbidden", "createFirstAdmin", `"_id":"root","body":{"content":{"profileIds":["default"]}}`, "", "api.assert.forbidden_argument"},
		{"create", "createFirstAdmin", `"_id":"root","reset":true,"body":{"content":{"name":"Root"},"credentials":{"local":{"u":"root"}}}`,
			`{"_id":"root","_source":{"name":"Root","profileIds":["admin"],` + userInfo + `}}`, ""},
		{"again", "createFirstAdmin", `"_id":"root2","body":{}`, "", "api.process.admin_exists"},
		{"anonymous restricted", "checkRights", `"userId":"-1","body":{"controller":"document","action":"create","index":"i","collection":"c"}`, `{"allowed":false}`, ""},
		{"anonymous may log in", "checkRights", `"userId":"-1","body":{"controller":"auth","action":"login"}`, `{"allowed":true}`, ""},
		{"admin allowed", "checkRights", `"userId":"root","body":{"controller":"document","action":"create","index":"i","collection":"c"}`, `{"allowed":true}`, ""},
		{"default profile restricted", "getProfile", `"_id":"default"`, "", ""},
	})
	if _, ok := f.creds.stored["local/root"]; !ok {
		t.Error("the first admin's credentials were not created")
	}
	if got := f.must("getRole", `"_id":"default"`); !strings.Contains(got, `"getMyRights":true`) || strings.Contains(got, `"*"`) {
		t.Errorf("default role after reset: %s", got)
	}
	if got := f.must("getProfile", `"_id":"anonymous"`); !strings.Contains(got, `"rateLimit":200`) {
		t.Errorf("anonymous profile after reset: %s", got)
	}
}

func TestCreateFirstAdminWithoutReset(t *testing.T) { stores.Run(t, testCreateFirstAdminWithoutReset) }

func testCreateFirstAdminWithoutReset(t *testing.T, fresh storetest.Fresh) {
	f := newFixture(t, fresh)
	f.must("createFirstAdmin", `"_id":"root"`)
	if got := f.must("getRole", `"_id":"anonymous"`); !strings.Contains(got, `"*"`) {
		t.Errorf("anonymous role without reset: %s", got)
	}
	if _, err := f.call("createUser", `"_id":"root2","body":{"content":{"profileIds":["admin"]}}`); err != nil {
		t.Fatal(err)
	}
	if _, err := f.call("createFirstAdmin", `"_id":"root3"`); errID(err) != "api.process.admin_exists" {
		t.Errorf("createFirstAdmin with an admin: %v", err)
	}
}

func TestCheckRights(t *testing.T) { stores.Run(t, testCheckRights) }

func testCheckRights(t *testing.T, fresh storetest.Fresh) {
	f := newFixture(t, fresh)
	f.must("createRole", `"_id":"reader","body":{"controllers":{"document":{"actions":{"get":true}}}}`)
	f.must("createProfile", `"_id":"readers","body":{"policies":[{"roleId":"reader","restrictedTo":[{"index":"i","collections":["c"]}]}]}`)
	f.must("createUser", `"_id":"r","body":{"content":{"profileIds":["readers"]}}`)
	get := `"controller":"document","action":"get"`
	f.run([]step{
		{"allowed", "checkRights", `"userId":"r","body":{` + get + `,"index":"i","collection":"c"}`, `{"allowed":true}`, ""},
		{"other collection", "checkRights", `"userId":"r","body":{` + get + `,"index":"i","collection":"d"}`, `{"allowed":false}`, ""},
		{"other action", "checkRights", `"userId":"r","body":{"controller":"document","action":"create","index":"i","collection":"c"}`, `{"allowed":false}`, ""},
		{"targets allowed", "checkRights", `"userId":"r","body":{` + get + `,"targets":[{"index":"i","collections":["c"]}]}`, `{"allowed":true}`, ""},
		{"targets refused", "checkRights", `"userId":"r","body":{` + get + `,"targets":[{"index":"i","collections":["c","d"]}]}`, `{"allowed":false}`, ""},
		{"wildcard target", "checkRights", `"userId":"r","body":{` + get + `,"targets":[{"index":"i*","collections":["c"]}]}`, `{"allowed":false}`, ""},
		{"no userId", "checkRights", `"body":{` + get + `}`, "", "api.assert.missing_argument"},
		{"no body", "checkRights", `"userId":"r"`, "", "api.assert.body_required"},
		{"no controller", "checkRights", `"userId":"r","body":{"action":"get"}`, "", "api.assert.missing_argument"},
		{"action not a string", "checkRights", `"userId":"r","body":{"controller":"document","action":1}`, "", "api.assert.missing_argument"},
		{"unknown user", "checkRights", `"userId":"nobody","body":{` + get + `}`, "", "security.user.not_found"},
	})
}

func TestScrollAndUpsert(t *testing.T) { stores.Run(t, testScrollAndUpsert) }

func testScrollAndUpsert(t *testing.T, fresh storetest.Fresh) {
	f := newFixture(t, fresh)
	for _, id := range []string{"a", "b", "c"} {
		f.must("createUser", `"_id":"`+id+`","body":{"content":{"profileIds":["default"]}}`)
	}
	first := f.must("searchUsers", `"size":2,"scroll":"1m","body":{"sort":["_id"]}`)
	var page struct {
		ScrollID string `json:"scrollId"`
	}
	if err := jsonx.Unmarshal([]byte(first), &page); err != nil || page.ScrollID == "" {
		t.Fatalf("searchUsers with scroll: %s", first)
	}
	next := f.must("scrollUsers", `"scrollId":"`+page.ScrollID+`","scroll":"1m"`)
	if !strings.Contains(next, `"total":3`) || countOf(next, `"_id"`) != 1 || !strings.Contains(next, `"scrollId":`) {
		t.Errorf("scrollUsers: %s", next)
	}
	f.run([]step{
		{"scroll profiles with a users scroll", "scrollProfiles", `"scrollId":"` + page.ScrollID + `"`, "", "services.storage.unknown_scroll_id"},
		{"scroll without id", "scrollUsers", ``, "", "api.assert.missing_argument"},
		{"scroll unknown", "scrollUsers", `"scrollId":"nope"`, "", "services.storage.unknown_scroll_id"},
	})
	profiles := f.must("searchProfiles", `"size":1,"scroll":"1m"`)
	if err := jsonx.Unmarshal([]byte(profiles), &page); err != nil || page.ScrollID == "" {
		t.Fatalf("searchProfiles with scroll: %s", profiles)
	}
	if got := f.must("scrollProfiles", `"scrollId":"`+page.ScrollID+`"`); !strings.Contains(got, `"optimizedPolicies":[]`) {
		t.Errorf("scrollProfiles: %s", got)
	}
	f.run([]step{
		{"upsert creates", "upsertUser", `"_id":"d","body":{"content":{"profileIds":["default"],"name":"D"},"default":{"name":"x","age":3}}`,
			`{"_id":"d","_source":{"age":3,"name":"D","profileIds":["default"],` + userInfo + `}}`, ""},
		{"upsert updates", "upsertUser", `"_id":"d","body":{"content":{"profileIds":["admin"]},"default":{"age":9}}`, "", ""},
		{"upsert without profiles", "upsertUser", `"_id":"d","body":{"content":{}}`, "", "api.assert.missing_argument"},
	})
	if got := f.must("getUser", `"_id":"d"`); !strings.Contains(got, `"age":3`) || !strings.Contains(got, `"profileIds":["admin"]`) {
		t.Errorf("user after upsert: %s", got)
	}
}
