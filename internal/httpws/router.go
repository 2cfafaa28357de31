package httpws

import (
	"fmt"
	"net/url"
	"strings"
)

// Route is one of Kuzzle's HTTP routes: a verb and a path whose ":name"
// parts are placeholders, mapped onto a controller's action.
type Route struct {
	// Verb is the upper-case HTTP method.
	Verb string
	// Path is the URL path, e.g. "/:index/:collection/_create".
	Path string
	// Controller and Action name what the route runs.
	Controller, Action string
}

// Routes returns Kuzzle's HTTP routes of controllers' actions, in
// Kuzzle's order (without the router's own: /_query, /_healthcheck,
// /_ready).
func Routes() []Route { return kuzzleRoutes() }

// routeKind tells the routes Kuzzle's router answers itself apart.
type routeKind int

const (
	kindAction      routeKind = iota // a controller's action
	kindQuery                        // POST /_query: the body is the request
	kindHealthcheck                  // GET /_healthcheck
	kindReady                        // GET /_ready
	kindRoot                         // HEAD /
)

// target is what a matched path runs.
type target struct {
	kind  routeKind
	route Route
}

// part is one level of a verb's path tree, as Kuzzle's RoutePart.
type part struct {
	sub          map[string]*part
	target       *target
	placeholders []string
}

func newPart() *part { return &part{sub: map[string]*part{}} }

// router maps a verb and a path onto a target, as Kuzzle's HTTP router:
// literal parts win over placeholders, without backtracking.
type router struct {
	verbs map[string]*part
}

// newRouter builds the router of Kuzzle's built-in routes.
func newRouter() (*router, error) {
	r := &router{verbs: map[string]*part{}}
	for _, v := range []string{"DELETE", "GET", "HEAD", "PATCH", "POST", "PUT"} {
		r.verbs[v] = newPart()
	}
	builtin := []struct {
		verb, path string
		kind       routeKind
	}{
		{"HEAD", "/", kindRoot},
		{"POST", "_query", kindQuery},
		{"GET", "_healthcheck", kindHealthcheck},
		{"GET", "_ready", kindReady},
	}
	for _, b := range builtin {
		if err := r.attach(b.verb, b.path, &target{kind: b.kind}); err != nil {
			return nil, err
		}
	}
	for _, route := range kuzzleRoutes() {
		if err := r.attach(route.Verb, route.Path, &target{kind: kindAction, route: route}); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// splitPath splits a path as Kuzzle does: empty parts are skipped, but
// for the last one ("/" is the part "").
func splitPath(path string) []string {
	raw := strings.Split(path, "/")
	parts := raw[:0:0]
	for i, p := range raw {
		if p != "" || i == len(raw)-1 && len(parts) == 0 {
			parts = append(parts, p)
		}
	}
	return parts
}

// attach adds a route; a path already taken is network.http.duplicate_url
// in Kuzzle, an error here.
func (r *router) attach(verb, path string, t *target) error {
	path = strings.TrimSuffix(path, "/")
	p := r.verbs[verb]
	var placeholders []string
	for _, name := range splitPath(path) {
		if strings.HasPrefix(name, ":") {
			placeholders = append(placeholders, name[1:])
			name = "*"
		}
		next, ok := p.sub[name]
		if !ok {
			next = newPart()
			p.sub[name] = next
		}
		p = next
	}
	if p.target != nil {
		return fmt.Errorf("attach %s %s: this path already exists", verb, path)
	}
	p.target, p.placeholders = t, placeholders
	return nil
}

// arg is one URL placeholder's value.
type arg struct{ name, value string }

// match finds the target of an escaped path under a known verb, with its
// placeholders' values; nil when no route matches.
func (r *router) match(verb, escapedPath string) (*target, []arg) {
	p := r.verbs[verb]
	var values []string
	for _, raw := range splitPath(strings.TrimSuffix(escapedPath, "/")) {
		name, err := url.PathUnescape(raw)
		if err != nil {
			name = raw // querystring.unescape keeps what it cannot decode
		}
		if next, ok := p.sub[name]; ok {
			p = next
			continue
		}
		next, ok := p.sub["*"]
		if !ok {
			return nil, nil
		}
		values = append(values, name)
		p = next
	}
	if p.target == nil {
		return nil, nil
	}
	args := make([]arg, len(p.placeholders))
	for i, name := range p.placeholders {
		args[i] = arg{name: name, value: values[i]}
	}
	return p.target, args
}
