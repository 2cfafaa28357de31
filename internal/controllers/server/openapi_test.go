package server

import (
	"testing"

	"github.com/starlingmq/starling/internal/jsonx"
)

func TestOpenAPIDocument(t *testing.T) {
	n := Node{Version: "9.9.9", HTTPRoutes: []HTTPRoute{
		{Verb: "GET", Path: "/:index/:collection/_mapping", Controller: "collection", Action: "getMapping"},
		{Verb: "GET", Path: "/:index/:collection/_mapping", Controller: "collection", Action: "other"},
		{Verb: "POST", Path: "/_bulk_thing", Controller: "bulk_import", Action: "run"},
	}}
	doc := n.openAPIDocument("T", "D", n.HTTPRoutes)
	data, err := jsonx.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"externalDocs":{"description":"Kuzzle API Documentation","url":"https://docs.kuzzle.io/core/2/api/"},` +
		`"info":{"description":"D","license":{"name":"Apache 2","url":"http://opensource.org/licenses/apache2.0"},"title":"T","version":"9.9.9"},` +
		`"openapi":"3.0.1","paths":{` +
		`"/_bulk_thing":{"post":{"description":"Controller: bulk_import.","operationId":"bulk_import:run","responses":{"200":{"description":"OK"}},"summary":"Action: run.","tags":["bulk_import"]}},` +
		`"/{index}/{collection}/_mapping":{"get":{"description":"Controller: collection.","operationId":"collection:getMapping",` +
		`"parameters":[{"in":"path","name":"index","required":true,"schema":{"type":"string"}},{"in":"path","name":"collection","required":true,"schema":{"type":"string"}}],` +
		`"responses":{"200":{"description":"OK"}},"summary":"Action: getMapping.","tags":["collection"]}}},` +
		`"tags":[{"description":"Collection Controller","name":"collection"},{"description":"BulkImport Controller","name":"bulk_import"}]}`
	if string(data) != want {
		t.Fatalf("document:\n got %s\nwant %s", data, want)
	}
}
