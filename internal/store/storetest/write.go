package storetest

import (
	"context"
	"strings"
	"testing"

	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/store"
	"github.com/starlingmq/starling/internal/store/mapping"
)

// source decodes a result's document.
func source(t *testing.T, raw []byte) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := jsonx.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("%v: %s", err, raw)
	}
	return doc
}

func testWriteKinds(t *testing.T, fresh Fresh) {
	ctx := context.Background()
	e := fresh(t)(t)
	defer e.Close()
	if err := e.CreateCollection(ctx, "i", "c", nil, nil); err != nil {
		t.Fatal(err)
	}
	one := func(op store.Op) store.Result {
		t.Helper()
		res, err := e.Write(ctx, "i", "c", []store.Op{op})
		if err != nil {
			t.Fatal(err)
		}
		return res[0]
	}
	r := one(store.Op{Kind: store.OpCreate, Body: []byte(`{"a":{"b":1,"c":2}}`), User: "alice", Now: 1000})
	if r.Err != nil || len(r.ID) != 20 || r.Version != 1 || !r.Created {
		t.Fatalf("create with a generated id: %+v", r)
	}
	id := r.ID
	info := source(t, r.Source)["_kuzzle_info"].(map[string]any)
	if info["author"] != "alice" || info["createdAt"] != 1000.0 || info["updatedAt"] != nil || info["updater"] != nil {
		t.Errorf("create's _kuzzle_info: %v", info)
	}

	r = one(store.Op{Kind: store.OpUpdate, ID: id, Body: []byte(`{"a":{"c":3},"d":[1]}`), User: "bob", Now: 2000})
	doc := source(t, r.Source)
	if r.Err != nil || r.Version != 2 || doc["a"].(map[string]any)["b"] != 1.0 || doc["a"].(map[string]any)["c"] != 3.0 {
		t.Errorf("update merges objects: %+v %s", r, r.Source)
	}
	info = doc["_kuzzle_info"].(map[string]any)
	if info["author"] != "alice" || info["createdAt"] != 1000.0 || info["updatedAt"] != 2000.0 || info["updater"] != "bob" {
		t.Errorf("update's _kuzzle_info: %v", info)
	}
	if r.Previous == nil || strings.Contains(string(r.Previous), `"d"`) {
		t.Errorf("update's previous version: %s", r.Previous)
	}

	r = one(store.Op{Kind: store.OpDeleteFields, ID: id, Fields: []string{"a.b", "d", "nope.x"}})
	if doc := source(t, r.Source); r.Err != nil || r.Version != 3 || doc["d"] != nil || doc["a"].(map[string]any)["b"] != nil {
		t.Errorf("deleteFields: %+v %s", r, r.Source)
	}

	r = one(store.Op{Kind: store.OpReplace, ID: id, Body: []byte(`{"z":1}`), IfVersion: 2})
	if r.Err == nil || !strings.Contains(r.Err.Error(), "version conflict") {
		t.Errorf("replace of another version: %v", r.Err)
	}
	r = one(store.Op{Kind: store.OpReplace, ID: id, Body: []byte(`{"z":1}`), IfVersion: 3})
	if doc := source(t, r.Source); r.Err != nil || r.Version != 4 || doc["a"] != nil || doc["z"] != 1.0 {
		t.Errorf("replace: %+v %s", r, r.Source)
	}
	if r = one(store.Op{Kind: store.OpReplace, ID: "missing", Body: []byte(`{}`)}); errID(r.Err) != "services.storage.not_found" {
		t.Errorf("replace of a missing document: %v", r.Err)
	}

	r = one(store.Op{Kind: store.OpCreateOrReplace, ID: "cor", Body: []byte(`{"v":1}`)})
	if r.Err != nil || !r.Created || r.Version != 1 {
		t.Errorf("createOrReplace creating: %+v", r)
	}
	r = one(store.Op{Kind: store.OpCreateOrReplace, ID: "cor", Body: []byte(`{"v":2}`)})
	if r.Err != nil || r.Created || r.Version != 2 || r.Previous == nil {
		t.Errorf("createOrReplace replacing: %+v", r)
	}

	r = one(store.Op{Kind: store.OpUpsert, ID: "up", Body: []byte(`{"n":1}`), Default: []byte(`{"n":0,"m":5}`), User: "u", Now: 7})
	doc = source(t, r.Source)
	if r.Err != nil || !r.Created || doc["n"] != 1.0 || doc["m"] != 5.0 {
		t.Errorf("upsert creating: %+v %s", r, r.Source)
	}
	if info := doc["_kuzzle_info"].(map[string]any); info["author"] != "u" || info["createdAt"] != 7.0 {
		t.Errorf("upsert's _kuzzle_info: %v", info)
	}
	r = one(store.Op{Kind: store.OpUpsert, ID: "up", Body: []byte(`{"n":2}`), Default: []byte(`{"m":0}`)})
	if doc := source(t, r.Source); r.Err != nil || r.Created || doc["n"] != 2.0 || doc["m"] != 5.0 {
		t.Errorf("upsert updating: %+v %s", r, r.Source)
	}

	// Upsert is the whole created document: neither Default nor Body is
	// merged into it, and an update ignores it.
	r = one(store.Op{Kind: store.OpUpsert, ID: "whole", Body: []byte(`{"n":1,"b":1}`), Upsert: []byte(`{"n":0,"_kuzzle_info":{"x":1}}`), Default: []byte(`{"m":1}`), NoMeta: true})
	if r.Err != nil || !r.Created || string(r.Source) != `{"_kuzzle_info":{"x":1},"n":0}` {
		t.Errorf("upsert creating from Upsert: %+v %s", r, r.Source)
	}
	r = one(store.Op{Kind: store.OpUpsert, ID: "whole", Body: []byte(`{"n":2}`), Upsert: []byte(`{"n":9}`), NoMeta: true})
	if r.Err != nil || r.Created || string(r.Source) != `{"_kuzzle_info":{"x":1},"n":2}` {
		t.Errorf("upsert updating despite Upsert: %+v %s", r, r.Source)
	}

	r = one(store.Op{Kind: store.OpDelete, ID: "up"})
	if r.Err != nil || r.Source == nil {
		t.Errorf("delete: %+v", r)
	}
	if r = one(store.Op{Kind: store.OpDelete, ID: "up"}); errID(r.Err) != "services.storage.not_found" {
		t.Errorf("delete twice: %v", r.Err)
	}
	if r = one(store.Op{Kind: store.OpCreate, Body: []byte(`[1]`)}); errID(r.Err) != "api.assert.invalid_type" {
		t.Errorf("array body: %v", r.Err)
	}
}

func testMappingsRefuseAndGrow(t *testing.T, fresh Fresh) {
	ctx := context.Background()
	reopen := fresh(t)
	e := reopen(t)
	strict, err := mapping.Parse([]byte(`{"dynamic":"strict","properties":{"age":{"type":"integer"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	dynamic, err := mapping.Parse([]byte(`{"dynamic":"true"}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.CreateCollection(ctx, "i", "strict", strict, nil); err != nil {
		t.Fatal(err)
	}
	if err := e.CreateCollection(ctx, "i", "dynamic", dynamic, nil); err != nil {
		t.Fatal(err)
	}
	res, err := e.Write(ctx, "i", "strict", []store.Op{
		{Kind: store.OpCreate, ID: "ok", Body: []byte(`{"age":3}`)},
		{Kind: store.OpCreate, ID: "extra", Body: []byte(`{"age":3,"name":"x"}`)},
		{Kind: store.OpCreate, ID: "type", Body: []byte(`{"age":"old"}`)},
	})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Err != nil || errID(res[1].Err) != "services.storage.strict_mapping_rejection" || errID(res[2].Err) != "services.storage.unexpected_bad_request" {
		t.Errorf("strict mapping: %v / %v / %v", res[0].Err, res[1].Err, res[2].Err)
	}
	if res, err := e.Write(ctx, "i", "dynamic", []store.Op{{Kind: store.OpCreate, Body: []byte(`{"name":"x","n":1}`)}}); err != nil || res[0].Err != nil {
		t.Fatalf("dynamic write: %v %v", err, res)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	e = reopen(t)
	defer e.Close()
	m, err := e.Mapping(ctx, "i", "dynamic")
	if err != nil {
		t.Fatal(err)
	}
	if f := m.Lookup("name"); f == nil || f.Type != "text" {
		t.Errorf("the dynamic field name was not kept as text: %+v", f)
	}
	if f := m.Lookup("n"); f == nil || f.Type != "long" {
		t.Errorf("the dynamic field n was not kept as long: %+v", f)
	}
	docs, err := e.Get(ctx, "i", "strict", []string{"ok", "extra", "type"})
	if err != nil {
		t.Fatal(err)
	}
	if !docs[0].Found || docs[1].Found || docs[2].Found {
		t.Errorf("refused documents were written: %+v", docs)
	}
}
