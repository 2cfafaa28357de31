package server

import (
	"context"
	"strings"

	"github.com/starlingmq/starling/internal/api"
	"github.com/starlingmq/starling/internal/kerror"
)

// openAPI answers server:openapi: an OpenAPI 3 document generated from the
// HTTP routes, as Kuzzle's openApiGenerator does (one operation per route,
// tagged by controller, with its path parameters and a 200 response).
// scope "kuzzle" (default) covers Kuzzle's routes; scope "app" the
// application's, which have no HTTP routes in Starling (empty paths).
func (n Node) openAPI(_ context.Context, req *api.Request) (any, error) {
	scope, kerr := req.StringOr("scope", "kuzzle")
	if kerr != nil {
		return nil, kerr
	}
	switch scope {
	case "kuzzle":
		return n.openAPIDocument("Starling API", "Starling HTTP API definition", n.HTTPRoutes), nil
	case "app":
		return n.openAPIDocument("Starling application API", "Starling application HTTP API definition", nil), nil
	}
	return nil, kerror.New("api.assert.unexpected_argument", scope, "[ 'kuzzle', 'app' ]")
}

// openAPIDocument builds the document describing routes.
func (n Node) openAPIDocument(title, description string, routes []HTTPRoute) map[string]any {
	paths := map[string]any{}
	var tags []map[string]string
	tagged := map[string]bool{}
	for _, r := range routes {
		path := openAPIPath(r.Path)
		verb := strings.ToLower(r.Verb)
		ops, _ := paths[path].(map[string]any)
		if ops == nil {
			ops = map[string]any{}
			paths[path] = ops
		}
		if _, dup := ops[verb]; dup {
			continue
		}
		if !tagged[r.Controller] {
			tagged[r.Controller] = true
			tags = append(tags, map[string]string{"name": r.Controller, "description": pascalCase(r.Controller) + " Controller"})
		}
		ops[verb] = openAPIOperation(r)
	}
	if tags == nil {
		tags = []map[string]string{}
	}
	return map[string]any{
		"openapi": "3.0.1",
		"info": map[string]any{
			"title":       title,
			"description": description,
			"license":     map[string]string{"name": "Apache 2", "url": "http://opensource.org/licenses/apache2.0"},
			"version":     n.Version,
		},
		"externalDocs": map[string]string{"description": "Kuzzle API Documentation", "url": "https://docs.kuzzle.io/core/2/api/"},
		"tags":         tags,
		"paths":        paths,
	}
}

// openAPIOperation describes one route's operation.
func openAPIOperation(r HTTPRoute) map[string]any {
	op := map[string]any{
		"operationId": r.Controller + ":" + r.Action,
		"tags":        []string{r.Controller},
		"description": "Controller: " + r.Controller + ".",
		"summary":     "Action: " + r.Action + ".",
		"responses":   map[string]any{"200": map[string]string{"description": "OK"}},
	}
	var params []map[string]any
	for _, part := range strings.Split(r.Path, "/") {
		if name, ok := strings.CutPrefix(part, ":"); ok {
			params = append(params, map[string]any{
				"in": "path", "name": name, "required": true,
				"schema": map[string]string{"type": "string"},
			})
		}
	}
	if params != nil {
		op["parameters"] = params
	}
	return op
}

// openAPIPath turns Kuzzle's ":param" segments into OpenAPI's "{param}".
func openAPIPath(path string) string {
	parts := strings.Split(path, "/")
	for i, p := range parts {
		if name, ok := strings.CutPrefix(p, ":"); ok {
			parts[i] = "{" + name + "}"
		}
	}
	return strings.Join(parts, "/")
}

// pascalCase upper-cases the first letter of each word of name, dropping
// the separators ("ms" → "Ms", "bulk_import" → "BulkImport").
func pascalCase(name string) string {
	var b strings.Builder
	upper := true
	for _, c := range name {
		switch {
		case c == '_' || c == '-' || c == ' ':
			upper = true
		case upper:
			b.WriteString(strings.ToUpper(string(c)))
			upper = false
		default:
			b.WriteRune(c)
		}
	}
	return b.String()
}
