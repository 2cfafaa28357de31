package httpws

import "testing"

func TestRouterMatchesAsKuzzle(t *testing.T) {
	r, err := newRouter()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		verb, path         string
		controller, action string
		args               []arg
	}{
		{"GET", "/_now", "server", "now", nil},
		{"GET", "/_now/", "server", "now", nil},
		{"GET", "//_now", "server", "now", nil},
		{"GET", "/shop/items/bike", "document", "get", []arg{{"index", "shop"}, {"collection", "items"}, {"_id", "bike"}}},
		{"GET", "/shop/items/a%2Fb", "document", "get", []arg{{"index", "shop"}, {"collection", "items"}, {"_id", "a/b"}}},
		// A literal part wins over a placeholder, without backtracking:
		// GET /:index/:collection/_count is document:get of "_count".
		{"GET", "/shop/items/_count", "document", "get", []arg{{"index", "shop"}, {"collection", "items"}, {"_id", "_count"}}},
		{"POST", "/shop/items/_count", "document", "count", []arg{{"index", "shop"}, {"collection", "items"}}},
		{"POST", "/shop/items/bike/_create", "document", "create", []arg{{"index", "shop"}, {"collection", "items"}, {"_id", "bike"}}},
		{"POST", "/shop/items/_create", "document", "create", []arg{{"index", "shop"}, {"collection", "items"}}},
	}
	for _, c := range cases {
		target, args := r.match(c.verb, c.path)
		if target == nil || target.kind != kindAction || target.route.Controller != c.controller || target.route.Action != c.action {
			t.Fatalf("%s %s: got %+v, want %s:%s", c.verb, c.path, target, c.controller, c.action)
		}
		if len(args) != len(c.args) {
			t.Fatalf("%s %s: args %v, want %v", c.verb, c.path, args, c.args)
		}
		for i := range args {
			if args[i] != c.args[i] {
				t.Fatalf("%s %s: args %v, want %v", c.verb, c.path, args, c.args)
			}
		}
	}
	for _, c := range []struct{ verb, path string }{{"PATCH", "/_now"}, {"GET", "/_query"}, {"GET", "/a/b/c/d/e/f/g"}} {
		if target, _ := r.match(c.verb, c.path); target != nil {
			t.Fatalf("%s %s must match nothing, got %+v", c.verb, c.path, target.route)
		}
	}
	if target, _ := r.match("POST", "/_query"); target == nil || target.kind != kindQuery {
		t.Fatal("POST /_query is the raw request route")
	}
	if target, _ := r.match("HEAD", "/"); target == nil || target.kind != kindRoot {
		t.Fatal("HEAD / is answered by the router")
	}
}

func TestCompressionChoice(t *testing.T) {
	for accept, want := range map[string]string{
		"":                            "identity",
		"br":                          "identity",
		"gzip":                        "gzip",
		"deflate":                     "deflate",
		"deflate, gzip":               "gzip", // a tie goes to gzip
		"gzip;q=0.2, deflate;q=0.8":   "deflate",
		"identity, deflate;q=1, gzip": "deflate",
	} {
		if got, _ := compress(accept, []byte(`{"a":1}`)); got != want {
			t.Errorf("Accept-Encoding %q: %s, want %s", accept, got, want)
		}
	}
}
