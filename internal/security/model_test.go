package security

import "testing"

func rolesFixture() map[string]*Role {
	return map[string]*Role{
		"all": allowAll("all"),
		"docs": {ID: "docs", Controllers: map[string]ControllerRights{
			"document": {Actions: map[string]bool{"get": true, "search": true, "delete": false}},
		}},
		"docsAll": {ID: "docsAll", Controllers: map[string]ControllerRights{
			"document": {Actions: map[string]bool{"*": true, "delete": false}},
		}},
		"wildcardDenied": {ID: "wildcardDenied", Controllers: map[string]ControllerRights{
			"*":    {Actions: map[string]bool{"*": false}},
			"auth": {Actions: map[string]bool{"login": true}},
		}},
		"ms": {ID: "ms", Controllers: map[string]ControllerRights{
			"ms": {Actions: map[string]bool{"get": true}},
		}},
		"memoryStorage": {ID: "memoryStorage", Controllers: map[string]ControllerRights{
			"memoryStorage": {Actions: map[string]bool{"set": true}},
			"ms":            {Actions: map[string]bool{"get": true}},
		}},
		"noActions": {ID: "noActions", Controllers: map[string]ControllerRights{"document": {}}},
		"empty":     {ID: "empty"},
	}
}

func TestRoleAllows(t *testing.T) {
	roles := rolesFixture()
	tests := []struct {
		role, controller, action string
		want                     bool
	}{
		{"all", "document", "create", true},
		{"all", "anything", "anything", true},
		{"docs", "document", "get", true},
		{"docs", "document", "delete", false},
		{"docs", "document", "create", false},
		{"docs", "collection", "get", false},
		{"docsAll", "document", "create", true},
		{"docsAll", "document", "delete", false}, // the action's own right wins over "*"
		{"wildcardDenied", "document", "get", false},
		{"wildcardDenied", "auth", "login", true},
		{"wildcardDenied", "auth", "logout", false}, // no fallback to "*" once the controller matched
		{"ms", "ms", "get", true},
		{"ms", "memoryStorage", "get", true},
		{"ms", "ms", "set", false},
		{"memoryStorage", "memoryStorage", "set", false}, // ms is looked up first
		{"memoryStorage", "memoryStorage", "get", true},
		{"noActions", "document", "get", false},
		{"empty", "document", "get", false},
		{"missing", "document", "get", false},
	}
	for _, tt := range tests {
		if got := roles[tt.role].Allows(tt.controller, tt.action); got != tt.want {
			t.Errorf("%s.Allows(%s, %s) = %v, want %v", tt.role, tt.controller, tt.action, got, tt.want)
		}
	}
}

func TestRoleCanLogIn(t *testing.T) {
	tests := []struct {
		controllers map[string]ControllerRights
		want        bool
	}{
		{map[string]ControllerRights{"auth": {Actions: map[string]bool{"login": true}}}, true},
		{map[string]ControllerRights{"auth": {Actions: map[string]bool{"*": true}}}, true},
		{map[string]ControllerRights{"*": {Actions: map[string]bool{"login": true}}}, true},
		{map[string]ControllerRights{"auth": {Actions: map[string]bool{"login": false}}}, false},
		{map[string]ControllerRights{"auth": {Actions: map[string]bool{"logout": true}}}, false},
		{map[string]ControllerRights{"server": {Actions: map[string]bool{"*": true}}}, false},
	}
	for i, tt := range tests {
		r := &Role{ID: "r", Controllers: tt.controllers}
		if got := r.CanLogIn(); got != tt.want {
			t.Errorf("case %d: CanLogIn() = %v, want %v", i, got, tt.want)
		}
	}
}

func TestPolicyCovers(t *testing.T) {
	restricted := Policy{RoleID: "all", RestrictedTo: []Restriction{
		{Index: "index1", Collections: []string{"c2", "c1"}},
		{Index: "index2"},
		{Index: "index1", Collections: []string{"c3"}},
		{Index: "", Collections: []string{"ignored"}},
	}}
	tests := []struct {
		name              string
		policy            Policy
		index, collection string
		want              bool
	}{
		{"no restriction", Policy{RoleID: "all"}, "any", "any", true},
		{"empty restrictedTo", Policy{RoleID: "all", RestrictedTo: []Restriction{}}, "any", "any", true},
		{"only empty indexes", Policy{RoleID: "all", RestrictedTo: []Restriction{{Index: ""}}}, "any", "x", true},
		{"no index in request", restricted, "", "", true},
		{"index not listed", restricted, "index3", "c1", false},
		{"listed collection", restricted, "index1", "c1", true},
		{"merged collection", restricted, "index1", "c3", true},
		{"collection not listed", restricted, "index1", "c4", false},
		{"index without collections", restricted, "index2", "anything", true},
		{"index listed, no collection in request", restricted, "index1", "", true},
	}
	for _, tt := range tests {
		if got := tt.policy.Covers(tt.index, tt.collection); got != tt.want {
			t.Errorf("%s: Covers(%q, %q) = %v, want %v", tt.name, tt.index, tt.collection, got, tt.want)
		}
	}
}

func TestAllows(t *testing.T) {
	roles := rolesFixture()
	readers := &Profile{ID: "readers", Policies: []Policy{
		{RoleID: "docs", RestrictedTo: []Restriction{{Index: "books", Collections: []string{"fiction"}}}},
	}}
	writers := &Profile{ID: "writers", Policies: []Policy{
		{RoleID: "docsAll", RestrictedTo: []Restriction{{Index: "drafts"}}},
		{RoleID: "missingRole"},
	}}
	admin := &Profile{ID: "admin", Policies: []Policy{{RoleID: "all"}}}
	none := &Profile{ID: "none"}
	tests := []struct {
		name                                  string
		profiles                              []*Profile
		controller, action, index, collection string
		want                                  bool
	}{
		{"no profile", nil, "document", "get", "books", "fiction", false},
		{"profile without policies", []*Profile{none}, "document", "get", "", "", false},
		{"nil profile", []*Profile{nil}, "document", "get", "", "", false},
		{"admin anything", []*Profile{admin}, "admin", "resetCache", "", "", true},
		{"reader in restriction", []*Profile{readers}, "document", "get", "books", "fiction", true},
		{"reader other collection", []*Profile{readers}, "document", "get", "books", "poetry", false},
		{"reader other index", []*Profile{readers}, "document", "get", "drafts", "x", false},
		{"reader action not granted", []*Profile{readers}, "document", "create", "books", "fiction", false},
		{"reader no index", []*Profile{readers}, "document", "search", "", "", true},
		{"writer drafts", []*Profile{writers}, "document", "create", "drafts", "any", true},
		{"writer denied action", []*Profile{writers}, "document", "delete", "drafts", "any", false},
		{"missing role grants nothing", []*Profile{writers}, "document", "create", "books", "fiction", false},
		{"second profile allows", []*Profile{readers, writers}, "document", "create", "drafts", "x", true},
		{"first profile allows", []*Profile{readers, writers}, "document", "get", "books", "fiction", true},
		{"neither allows", []*Profile{readers, writers}, "document", "create", "books", "fiction", false},
	}
	for _, tt := range tests {
		got := Allows(tt.profiles, roles, tt.controller, tt.action, tt.index, tt.collection)
		if got != tt.want {
			t.Errorf("%s: Allows = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestAllowsTargets(t *testing.T) {
	roles := rolesFixture()
	readers := &Profile{ID: "readers", Policies: []Policy{
		{RoleID: "docs", RestrictedTo: []Restriction{{Index: "books", Collections: []string{"fiction", "poetry"}}}},
	}}
	writers := &Profile{ID: "writers", Policies: []Policy{
		{RoleID: "docsAll", RestrictedTo: []Restriction{{Index: "drafts"}}},
	}}
	profiles := []*Profile{readers, writers}
	tests := []struct {
		name    string
		action  string
		targets []Target
		want    bool
	}{
		{"all covered", "get", []Target{{"books", []string{"fiction", "poetry"}}}, true},
		{"across profiles", "get", []Target{{"books", []string{"fiction"}}, {"drafts", []string{"x"}}}, true},
		{"one collection not covered", "get", []Target{{"books", []string{"fiction", "essays"}}}, false},
		{"index not covered", "get", []Target{{"films", []string{"x"}}}, false},
		{"action allowed on one index only", "create", []Target{{"books", []string{"fiction"}}, {"drafts", []string{"x"}}}, false},
		{"wildcard index", "get", []Target{{"bo*", []string{"fiction"}}}, false},
		{"wildcard collection", "get", []Target{{"books", []string{"fic*"}}}, false},
		{"targets without collections are skipped", "create", []Target{{"books", nil}, {"", []string{"x"}}}, true},
	}
	for _, tt := range tests {
		if got := AllowsTargets(profiles, roles, "document", tt.action, tt.targets); got != tt.want {
			t.Errorf("%s: AllowsTargets = %v, want %v", tt.name, got, tt.want)
		}
	}
}
