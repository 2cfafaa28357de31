package node_test

import (
	"context"
	"strings"
	"testing"

	"github.com/starlingmq/starling/internal/config"
	"github.com/starlingmq/starling/internal/jsonx"
)

// check is one request and the answer it must get: a result (exact JSON,
// or "*" for any success) or an error id.
type check struct {
	name, controller, action, args string
	result, errorID                string
}

// runChecks sends every check in order on c.
func runChecks(t *testing.T, c client, checks []check) {
	t.Helper()
	for _, k := range checks {
		r := call(t, c, k.controller, k.action, k.args)
		if k.errorID != "" {
			if errorID(r) != k.errorID {
				t.Errorf("%s: want error %s, got %s", k.name, k.errorID, r.raw)
			}
			continue
		}
		if r.Status != 200 || (k.result != "*" && string(r.Result) != k.result) {
			t.Errorf("%s:\n got %s\nwant %s", k.name, r.raw, k.result)
		}
	}
}

func TestCollectionController(t *testing.T) {
	c := storageClient(t)
	const nyc = `"index":"nyc","collection":"yellow"`
	runChecks(t, c, []check{
		{"create", "collection", "create", nyc + `,"body":{"mappings":{"properties":{"name":{"type":"keyword"}}},"settings":{"analysis":{"a":1}}}`, `{"acknowledged":true}`, ""},
		{"create legacy", "collection", "create", `"index":"nyc","collection":"green","body":{"dynamic":"strict","properties":{"age":{"type":"integer"}}}`, `{"acknowledged":true}`, ""},
		{"create bad collection", "collection", "create", `"index":"nyc","collection":"Yellow"`, "", "services.storage.invalid_collection_name"},
		{"create bad index", "collection", "create", `"index":"N y","collection":"a"`, "", "services.storage.invalid_index_name"},
		{"create reserved", "collection", "create", `"index":"nyc","collection":"_kuzzle_keep"`, "", "services.storage.collection_reserved"},
		{"create bad mapping", "collection", "create", `"index":"nyc","collection":"red","body":{"mappings":{"dynamic":"maybe"}}`, "", "services.storage.invalid_mapping"},
		{"create no collection", "collection", "create", `"index":"nyc"`, "", "api.assert.missing_argument"},
		{"exists", "collection", "exists", nyc, `true`, ""},
		{"exists not", "collection", "exists", `"index":"nyc","collection":"blue"`, `false`, ""},
		{"exists internal", "collection", "exists", `"index":"%kuzzle","collection":"validations"`, `false`, ""},
		{"getMapping", "collection", "getMapping", nyc, `{"dynamic":"false","properties":{"name":{"type":"keyword"}}}`, ""},
		{"getMapping legacy", "collection", "getMapping", `"index":"nyc","collection":"green"`, `{"dynamic":"strict","properties":{"age":{"type":"integer"}}}`, ""},
		{"getMapping meta", "collection", "getMapping", nyc + `,"includeKuzzleMeta":true`, `{"dynamic":"false","properties":{"_kuzzle_info":{"properties":{"author":{"type":"keyword"},"createdAt":{"type":"date"},"updatedAt":{"type":"date"},"updater":{"type":"keyword"}}},"name":{"type":"keyword"}}}`, ""},
		{"getMapping unknown", "collection", "getMapping", `"index":"nyc","collection":"blue"`, "", "services.storage.unknown_collection"},
		{"getMapping unknown index", "collection", "getMapping", `"index":"tokyo","collection":"blue"`, "", "services.storage.unknown_index"},
		{"getSettings", "collection", "getSettings", nyc, `{"analysis":{"a":1}}`, ""},
		{"update", "collection", "update", nyc + `,"body":{"mappings":{"properties":{"age":{"type":"long"}}},"settings":{"analysis":{"b":2}}}`, `null`, ""},
		{"getSettings merged", "collection", "getSettings", nyc, `{"analysis":{"a":1,"b":2}}`, ""},
		{"getMapping updated", "collection", "getMapping", nyc, `{"dynamic":"false","properties":{"age":{"type":"long"},"name":{"type":"keyword"}}}`, ""},
		{"update conflict", "collection", "update", nyc + `,"body":{"mappings":{"properties":{"age":{"type":"keyword"}}}}`, "", "services.storage.cannot_change_mapping"},
		{"updateMapping", "collection", "updateMapping", nyc + `,"body":{"dynamic":"strict","_meta":{"v":1}}`, `{"_meta":{"v":1},"dynamic":"strict","properties":{"_kuzzle_info":{"properties":{"author":{"type":"keyword"},"createdAt":{"type":"date"},"updatedAt":{"type":"date"},"updater":{"type":"keyword"}}},"age":{"type":"long"},"name":{"type":"keyword"}}}`, ""},
		{"updateMapping no body", "collection", "updateMapping", nyc, "", "api.assert.body_required"},
		{"create again updates", "collection", "create", nyc + `,"body":{"mappings":{"properties":{"city":{"type":"keyword"}}}}`, `{"acknowledged":true}`, ""},
		{"getMapping after create again", "collection", "getMapping", nyc, `{"_meta":{"v":1},"dynamic":"strict","properties":{"age":{"type":"long"},"city":{"type":"keyword"},"name":{"type":"keyword"}}}`, ""},
		{"getSettings kept", "collection", "getSettings", nyc, `{"analysis":{"a":1,"b":2}}`, ""},
		{"list", "collection", "list", `"index":"nyc"`, `{"collections":[{"name":"green","type":"stored"},{"name":"yellow","type":"stored"}],"type":"all"}`, ""},
		{"list paged", "collection", "list", `"index":"nyc","from":1,"size":5,"type":"stored"`, `{"collections":[{"name":"yellow","type":"stored"}],"type":"stored","from":1,"size":5}`, ""},
		{"list from", "collection", "list", `"index":"nyc","from":1`, `{"collections":[{"name":"yellow","type":"stored"}],"type":"all","from":1}`, ""},
		{"list realtime", "collection", "list", `"index":"nyc","type":"realtime"`, `{"collections":[],"type":"realtime"}`, ""},
		{"list bad type", "collection", "list", `"index":"nyc","type":"other"`, "", "api.assert.invalid_argument"},
		{"list unknown index", "collection", "list", `"index":"tokyo"`, "", "services.storage.unknown_index"},
		{"refresh", "collection", "refresh", nyc, `null`, ""},
		{"refresh unknown", "collection", "refresh", `"index":"nyc","collection":"blue"`, "", "services.storage.unknown_collection"},
		{"document", "document", "create", nyc + `,"_id":"a","body":{"name":"x"}`, `*`, ""},
		{"truncate", "collection", "truncate", nyc, `{"acknowledged":true}`, ""},
		{"get after truncate", "document", "get", nyc + `,"_id":"a"`, "", "services.storage.not_found"},
		{"delete", "collection", "delete", `"index":"nyc","collection":"green"`, `null`, ""},
		{"delete twice", "collection", "delete", `"index":"nyc","collection":"green"`, "", "services.storage.unknown_collection"},
		{"delete internal", "collection", "delete", `"index":"%kuzzle","collection":"validations"`, "", "services.storage.unknown_index"},
	})
}

// spec is a specification with a mandatory field, a default value and a
// strict policy.
const spec = `{"strict":true,"fields":{"name":{"type":"string","mandatory":true},"age":{"type":"integer","defaultValue":42}}}`

func TestCollectionSpecifications(t *testing.T) {
	c := storageClient(t)
	const nyc = `"index":"nyc","collection":"yellow"`
	mustCall(t, c, "collection", "create", nyc+`,"body":{"mappings":{"dynamic":"true"}}`)
	runChecks(t, c, []check{
		{"get none", "collection", "getSpecifications", nyc, "", "validation.assert.not_found"},
		{"search none", "collection", "searchSpecifications", ``, `{"hits":[],"total":0}`, ""},
		{"validate ok", "collection", "validateSpecifications", nyc + `,"body":` + spec, `{"valid":true}`, ""},
		{"validate bad", "collection", "validateSpecifications", nyc + `,"body":{"fields":{"a":{"type":"nope"}}}`, `{"description":"Some errors with provided specifications.","details":["In \"nyc.yellow.a\": unknown type \"nope\"."],"valid":false}`, ""},
		{"update bad", "collection", "updateSpecifications", nyc + `,"body":{"fields":{"a":{"type":"nope"}}}`, "", "validation.assert.invalid_specifications"},
		{"update", "collection", "updateSpecifications", nyc + `,"body":` + spec, spec, ""},
		{"refused", "document", "create", nyc + `,"body":{"age":3}`, "", "validation.check.failed_field"},
		{"strict", "document", "create", nyc + `,"body":{"name":"a","other":1}`, "", "validation.check.failed_document"},
		{"default", "document", "create", nyc + `,"_id":"d","body":{"name":"a"}`, "*", ""},
		{"default applied", "document", "get", nyc + `,"_id":"d"`, "*", ""},
		{"delete", "collection", "deleteSpecifications", nyc, `{"acknowledged":true}`, ""},
		{"delete twice", "collection", "deleteSpecifications", nyc, `{"acknowledged":true}`, ""},
		{"accepted once deleted", "document", "create", nyc + `,"body":{"age":3}`, "*", ""},
		{"search after delete", "collection", "searchSpecifications", ``, `{"hits":[],"total":0}`, ""},
		{"too many", "collection", "searchSpecifications", `"size":100000`, "", "services.storage.get_limit_exceeded"},
		{"scroll unknown", "collection", "scrollSpecifications", `"scrollId":"nope"`, "", "services.storage.unknown_scroll_id"},
		{"scroll missing", "collection", "scrollSpecifications", ``, "", "api.assert.missing_argument"},
	})
	r := mustCall(t, c, "document", "get", nyc+`,"_id":"d"`)
	var got struct {
		Source map[string]any `json:"_source"`
	}
	mustDecode(t, r.Result, &got)
	if got.Source["age"] != float64(42) {
		t.Errorf("default value not applied: %s", r.Result)
	}
}

func TestSpecificationsSearchAndScroll(t *testing.T) {
	c := storageClient(t)
	for _, col := range []string{"a", "b", "c"} {
		mustCall(t, c, "collection", "updateSpecifications", `"index":"nyc","collection":"`+col+`","body":{"strict":true}`)
	}
	r := mustCall(t, c, "collection", "searchSpecifications", `"body":{"query":{"term":{"collection":"b"}}}`)
	// The store may give the source's keys in another order (PostgreSQL):
	// compare values, the creation time set aside.
	var found struct {
		Hits []struct {
			Source map[string]any `json:"_source"`
		} `json:"hits"`
	}
	mustDecode(t, r.Result, &found)
	if len(found.Hits) == 1 {
		info, _ := found.Hits[0].Source["_kuzzle_info"].(map[string]any)
		delete(info, "createdAt")
		delete(info, "updatedAt")
	}
	got := string(r.Result)
	if len(found.Hits) == 1 {
		b, _ := jsonx.Marshal(found.Hits[0].Source)
		got = string(b)
	}
	want := `{"_kuzzle_info":{"author":null,"updater":null},"collection":"b","index":"nyc","validation":{"strict":true}}`
	if !strings.HasPrefix(string(r.Result), `{"hits":[{"_id":"nyc#b","_score":1,"_source":{`) ||
		!strings.HasSuffix(string(r.Result), `},"collection":"validations","index":"kuzzle"}],"total":1}`) || got != want {
		t.Errorf("search: %s", r.Result)
	}
	var page struct {
		Hits []struct {
			ID string `json:"_id"`
		} `json:"hits"`
		ScrollID string `json:"scrollId"`
		Total    int    `json:"total"`
	}
	r = mustCall(t, c, "collection", "searchSpecifications", `"size":2,"scroll":"10s","body":{"sort":["_id"]}`)
	mustDecode(t, r.Result, &page)
	if page.Total != 3 || len(page.Hits) != 2 || page.ScrollID == "" {
		t.Fatalf("scrolled search: %s", r.Result)
	}
	r = mustCall(t, c, "collection", "scrollSpecifications", `"scrollId":"`+page.ScrollID+`"`)
	mustDecode(t, r.Result, &page)
	if page.Total != 3 || len(page.Hits) != 1 || page.Hits[0].ID != "nyc#c" {
		t.Errorf("scroll: %s", r.Result)
	}
	if r := call(t, c, "collection", "searchSpecifications", `"scroll":"1h"`); errorID(r) != "services.storage.scroll_duration_too_great" {
		t.Errorf("scroll too long: %s", r.raw)
	}
	// Deleting the collection, then the index, drops their specifications.
	mustCall(t, c, "collection", "create", `"index":"nyc","collection":"a"`)
	mustCall(t, c, "collection", "delete", `"index":"nyc","collection":"a"`)
	if r := call(t, c, "collection", "getSpecifications", `"index":"nyc","collection":"a"`); errorID(r) != "validation.assert.not_found" {
		t.Errorf("kept after collection:delete: %s", r.raw)
	}
	mustCall(t, c, "index", "delete", `"index":"nyc"`)
	if r := mustCall(t, c, "collection", "searchSpecifications", ``); string(r.Result) != `{"hits":[],"total":0}` {
		t.Errorf("kept after index:delete: %s", r.Result)
	}
}

func TestSpecificationsSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	onDir := func(cfg *config.Config) { cfg.Storage.Path = dir }
	first := startServer(t, onDir)
	c := connect3(t, first.addr)
	if code := c.subscribe("Kuzzle/response"); code != 0 {
		t.Fatalf("subscribe: %#x", code)
	}
	mustCall(t, c, "collection", "create", `"index":"nyc","collection":"yellow","body":{"mappings":{"dynamic":"true"}}`)
	mustCall(t, c, "collection", "updateSpecifications", `"index":"nyc","collection":"yellow","body":`+spec)
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := first.node.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	second := startServer(t, onDir)
	c = connect3(t, second.addr)
	if code := c.subscribe("Kuzzle/response"); code != 0 {
		t.Fatalf("subscribe: %#x", code)
	}
	runChecks(t, c, []check{
		{"get", "collection", "getSpecifications", `"index":"nyc","collection":"yellow"`, "*", ""},
		{"applied", "document", "create", `"index":"nyc","collection":"yellow","body":{"age":1}`, "", "validation.check.failed_field"},
	})
}

// mustDecode decodes a JSON result, failing the test if it cannot.
func mustDecode(t *testing.T, raw []byte, v any) {
	t.Helper()
	if err := jsonx.Unmarshal(raw, v); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
}

func TestCollectionListRealtime(t *testing.T) {
	c := storageClient(t)
	mustCall(t, c, "collection", "create", `"index":"i","collection":"stored"`)
	subscribe(t, c, `{}`, ``) // a room on i/c
	runChecks(t, c, []check{
		{"all", "collection", "list", `"index":"i"`, `{"collections":[{"name":"c","type":"realtime"},{"name":"stored","type":"stored"}],"type":"all"}`, ""},
		{"realtime", "collection", "list", `"index":"i","type":"realtime"`, `{"collections":[{"name":"c","type":"realtime"}],"type":"realtime"}`, ""},
		{"stored", "collection", "list", `"index":"i","type":"stored"`, `{"collections":[{"name":"stored","type":"stored"}],"type":"stored"}`, ""},
	})
}

// TestPublishIsValidated checks that realtime:publish applies the
// collection's specifications, as Kuzzle does: a refused message is an
// error, an accepted one is notified with its default values.
func TestPublishIsValidated(t *testing.T) {
	srv := startServer(t, nil)
	c, listener := connect3(t, srv.addr), connect3(t, srv.addr)
	for _, cl := range []client{c, listener} {
		if code := cl.subscribe("Kuzzle/response"); code != 0 {
			t.Fatalf("subscribe to the response topic: code %#x", code)
		}
	}
	mustCall(t, c, "collection", "create", `"index":"i","collection":"c"`)
	mustCall(t, c, "collection", "updateSpecifications", `"index":"i","collection":"c","body":{"fields":{"n":{"type":"integer","defaultValue":5}}}`)
	s := subscribe(t, listener, `{}`, ``)
	if r := call(t, c, "realtime", "publish", `"index":"i","collection":"c","body":{"n":"five"}`); errorID(r) != "validation.check.failed_field" {
		t.Fatalf("an invalid message was published: %s", r.raw)
	}
	publish(t, c, `{"k":1}`, ``)
	n := nextNotification(t, listener, s.Channel)
	if src := n.Result.Source; src["n"] != 5.0 || src["k"] != 1.0 {
		t.Errorf("the published message lacks its default value: %s", n.raw)
	}
}
