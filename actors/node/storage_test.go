package node_test

import (
	"fmt"
	"testing"
)

// storageClient is an MQTT client subscribed to its responses, for the
// storage controllers' tests.
func storageClient(t *testing.T) client {
	t.Helper()
	srv := startServer(t, nil)
	c := connect3(t, srv.addr)
	if code := c.subscribe("Kuzzle/response"); code != 0 {
		t.Fatalf("subscribe to the response topic: code %#x", code)
	}
	return c
}

// call sends controller:action with extra top-level fields (a JSON object's
// inside, without braces) and returns the response.
func call(t *testing.T, c client, controller, action, extra string) response {
	t.Helper()
	payload := fmt.Sprintf(`{"controller":%q,"action":%q`, controller, action)
	if extra != "" {
		payload += "," + extra
	}
	return request(t, c, payload+"}")
}

// mustCall is call, failing the test unless the status is 200.
func mustCall(t *testing.T, c client, controller, action, extra string) response {
	t.Helper()
	r := call(t, c, controller, action, extra)
	if r.Status != 200 {
		t.Fatalf("%s:%s: %s", controller, action, r.raw)
	}
	return r
}

// errorID returns the response's error id, "" on success.
func errorID(r response) string {
	if r.Error == nil {
		return ""
	}
	return r.Error.ID
}

func TestIndexController(t *testing.T) {
	c := storageClient(t)
	mustCall(t, c, "index", "create", `"index":"nyc"`)
	if r := call(t, c, "index", "create", `"index":"nyc"`); errorID(r) != "services.storage.index_already_exists" || r.Status != 412 {
		t.Errorf("index created twice: %s", r.raw)
	}
	for _, bad := range []string{`"Upper"`, `"a b"`, `"%kuzzle"`, `"_all"`} {
		if r := call(t, c, "index", "create", `"index":`+bad); errorID(r) != "services.storage.invalid_index_name" {
			t.Errorf("index %s: %s", bad, r.raw)
		}
	}
	if r := call(t, c, "index", "create", ``); errorID(r) != "api.assert.missing_argument" {
		t.Errorf("no index: %s", r.raw)
	}
	mustCall(t, c, "index", "create", `"index":"paris"`)
	if r := mustCall(t, c, "index", "exists", `"index":"nyc"`); string(r.Result) != "true" {
		t.Errorf("exists: %s", r.Result)
	}
	if r := mustCall(t, c, "index", "exists", `"index":"tokyo"`); string(r.Result) != "false" {
		t.Errorf("exists: %s", r.Result)
	}
	if r := mustCall(t, c, "index", "list", `"countCollection":true`); string(r.Result) != `{"indexes":["nyc","paris"],"collections":{"nyc":0,"paris":0}}` {
		t.Errorf("list: %s", r.Result)
	}
	if r := mustCall(t, c, "index", "mDelete", `"body":{"indexes":["nyc","tokyo"]}`); string(r.Result) != `{"deleted":["nyc"]}` {
		t.Errorf("mDelete: %s", r.Result)
	}
	if r := mustCall(t, c, "index", "delete", `"index":"paris"`); string(r.Result) != `{"acknowledged":true}` {
		t.Errorf("delete: %s", r.Result)
	}
	if r := call(t, c, "index", "delete", `"index":"paris"`); errorID(r) != "services.storage.unknown_index" {
		t.Errorf("delete twice: %s", r.raw)
	}
	if r := mustCall(t, c, "index", "list", ``); string(r.Result) != `{"indexes":[]}` {
		t.Errorf("list: %s", r.Result)
	}
}

func TestDocumentCreateGetAndNotify(t *testing.T) {
	c := storageClient(t)
	mustCall(t, c, "index", "create", `"index":"nyc"`)
	// Without the collection controller yet, a document needs one made
	// through the store: create it with the first write's mapping.
	if r := call(t, c, "document", "create", `"index":"nyc","collection":"yellow","body":{"a":1}`); errorID(r) != "services.storage.unknown_collection" {
		t.Fatalf("create in a missing collection: %s", r.raw)
	}
}
