package node_test

import (
	"encoding/json"
	"testing"
)

// openAPIDoc is the part of server:openapi's document the tests check.
type openAPIDoc struct {
	OpenAPI string `json:"openapi"`
	Info    struct {
		Title   string `json:"title"`
		Version string `json:"version"`
	} `json:"info"`
	Tags  []struct{ Name string } `json:"tags"`
	Paths map[string]map[string]struct {
		OperationID string   `json:"operationId"`
		Tags        []string `json:"tags"`
		Parameters  []struct {
			In       string `json:"in"`
			Name     string `json:"name"`
			Required bool   `json:"required"`
		} `json:"parameters"`
	} `json:"paths"`
}

func checkOpenAPIDoc(t *testing.T, raw json.RawMessage) {
	t.Helper()
	var doc openAPIDoc
	mustDecode(t, raw, &doc)
	if doc.OpenAPI != "3.0.1" || doc.Info.Title == "" || doc.Info.Version == "" || len(doc.Tags) == 0 {
		t.Fatalf("document header: %+v", doc.Info)
	}
	get := doc.Paths["/{index}/{collection}/{_id}"]["get"]
	if get.OperationID != "document:get" || len(get.Tags) != 1 || get.Tags[0] != "document" {
		t.Fatalf("GET /{index}/{collection}/{_id}: %+v", get)
	}
	var names []string
	for _, p := range get.Parameters {
		if p.In != "path" || !p.Required {
			t.Fatalf("parameter %+v", p)
		}
		names = append(names, p.Name)
	}
	if len(names) != 3 || names[0] != "index" || names[1] != "collection" || names[2] != "_id" {
		t.Fatalf("parameters: %v", names)
	}
	if op := doc.Paths["/_openapi"]["get"]; op.OperationID != "server:openapi" || op.Parameters != nil {
		t.Fatalf("GET /_openapi: %+v", op)
	}
}

func TestServerOpenAPI(t *testing.T) {
	c := storageClient(t)
	checkOpenAPIDoc(t, mustCall(t, c, "server", "openapi", ``).Result)
	checkOpenAPIDoc(t, mustCall(t, c, "server", "openapi", `"scope":"kuzzle"`).Result)

	var app openAPIDoc
	mustDecode(t, mustCall(t, c, "server", "openapi", `"scope":"app"`).Result, &app)
	if app.OpenAPI != "3.0.1" || app.Paths == nil || len(app.Paths) != 0 {
		t.Fatalf("scope app: %+v", app)
	}
	if r := call(t, c, "server", "openapi", `"scope":"nope"`); r.Status != 400 || errorID(r) != "api.assert.unexpected_argument" {
		t.Fatalf("unknown scope: %s", r.raw)
	}
}

func TestHTTPOpenAPI(t *testing.T) {
	srv := startServer(t, nil)
	a := do(t, srv, "GET", "/_openapi", "", nil)
	if a.status != 200 || *a.env.Controller != "server" || *a.env.Action != "openapi" {
		t.Fatalf("GET /_openapi: %d %s", a.status, a.raw)
	}
	checkOpenAPIDoc(t, a.env.Result)
	if a = do(t, srv, "GET", "/_openapi?scope=nope", "", nil); a.status != 400 || a.errorID() != "api.assert.unexpected_argument" {
		t.Fatalf("GET /_openapi?scope=nope: %d %s", a.status, a.raw)
	}
}
