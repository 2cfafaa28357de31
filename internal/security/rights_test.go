package security

import (
	"reflect"
	"testing"

	"github.com/starlingmq/starling/internal/jsonx"
)

func rightsRoles() map[string]*Role {
	return map[string]*Role{
		"role1":      {ID: "role1", Controllers: map[string]ControllerRights{"document": {Actions: map[string]bool{"*": true}}}},
		"role2":      {ID: "role2", Controllers: map[string]ControllerRights{"document": {Actions: map[string]bool{"delete": true}}}},
		"deniedRole": {ID: "deniedRole", Controllers: map[string]ControllerRights{"document": {Actions: map[string]bool{"delete": false}}}},
		"auth": {ID: "auth", Controllers: map[string]ControllerRights{
			"auth":   {Actions: map[string]bool{"login": true, "logout": false}},
			"server": {Actions: map[string]bool{"now": true}},
		}},
	}
}

func item(controller, action, index, collection, value string) RightsItem {
	return RightsItem{Action: action, Collection: collection, Controller: controller, Index: index, Value: value}
}

func TestProfileRights(t *testing.T) {
	roles := rightsRoles()
	tests := []struct {
		name    string
		profile *Profile
		want    []RightsItem
	}{
		{"no policies", &Profile{ID: "p"}, []RightsItem{}},
		{"unrestricted", &Profile{ID: "p", Policies: []Policy{{RoleID: "auth"}}}, []RightsItem{
			item("auth", "login", "*", "*", Allowed),
			item("auth", "logout", "*", "*", Denied),
			item("server", "now", "*", "*", Allowed),
		}},
		{"restrictions", &Profile{ID: "p", Policies: []Policy{
			{RoleID: "role1", RestrictedTo: []Restriction{{Index: "index1", Collections: []string{"collection2", "collection1"}}}},
			{RoleID: "role2", RestrictedTo: []Restriction{{Index: "index2"}}},
			{RoleID: "deniedRole", RestrictedTo: []Restriction{{Index: "index1", Collections: []string{"collection1", "collection2"}}}},
		}}, []RightsItem{
			item("document", "*", "index1", "collection1", Allowed),
			item("document", "*", "index1", "collection2", Allowed),
			item("document", "delete", "index2", "*", Allowed),
			item("document", "delete", "index1", "collection1", Denied),
			item("document", "delete", "index1", "collection2", Denied),
		}},
		{"merged indexes, empty index ignored", &Profile{ID: "p", Policies: []Policy{
			{RoleID: "role2", RestrictedTo: []Restriction{
				{Index: "i", Collections: []string{"b"}}, {Index: ""}, {Index: "j", Collections: []string{}}, {Index: "i", Collections: []string{"a", "b"}},
			}},
		}}, []RightsItem{
			item("document", "delete", "i", "a", Allowed),
			item("document", "delete", "i", "b", Allowed),
			item("document", "delete", "j", "*", Allowed),
		}},
		{"only empty indexes is unrestricted", &Profile{ID: "p", Policies: []Policy{
			{RoleID: "role2", RestrictedTo: []Restriction{{Index: ""}}},
		}}, []RightsItem{item("document", "delete", "*", "*", Allowed)}},
		{"same right twice listed once", &Profile{ID: "p", Policies: []Policy{
			{RoleID: "role2"}, {RoleID: "role2"},
		}}, []RightsItem{item("document", "delete", "*", "*", Allowed)}},
		{"allowed and denied both listed", &Profile{ID: "p", Policies: []Policy{
			{RoleID: "deniedRole"}, {RoleID: "role2"},
		}}, []RightsItem{
			item("document", "delete", "*", "*", Denied),
			item("document", "delete", "*", "*", Allowed),
		}},
	}
	for _, tt := range tests {
		got, err := ProfileRights(tt.profile, roles)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", tt.name, got, tt.want)
		}
	}
}

func TestProfileRightsMissingRole(t *testing.T) {
	_, err := ProfileRights(&Profile{ID: "p", Policies: []Policy{{RoleID: "ghost"}}}, rightsRoles())
	wantError(t, "missing role", err, "security.role.not_found", `Role "ghost" not found.`)
	_, err = UserRights([]*Profile{{ID: "p", Policies: []Policy{{RoleID: "ghost"}}}}, rightsRoles())
	wantError(t, "user, missing role", err, "security.role.not_found", `Role "ghost" not found.`)
}

func TestUserRights(t *testing.T) {
	roles := rightsRoles()
	first := &Profile{ID: "first", Policies: []Policy{
		{RoleID: "role2", RestrictedTo: []Restriction{{Index: "index1"}}},
		{RoleID: "deniedRole"},
	}}
	second := &Profile{ID: "second", Policies: []Policy{
		{RoleID: "role2", RestrictedTo: []Restriction{{Index: "index1"}, {Index: "index2"}}},
		{RoleID: "role2"},
	}}
	got, err := UserRights([]*Profile{first, second}, roles)
	if err != nil {
		t.Fatal(err)
	}
	want := []RightsItem{
		item("document", "delete", "index1", "*", Allowed),
		item("document", "delete", "*", "*", Denied),
		item("document", "delete", "index2", "*", Allowed),
		item("document", "delete", "*", "*", Allowed),
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("UserRights:\n got %+v\nwant %+v", got, want)
	}
	encoded, err := jsonx.Marshal(got[0])
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"action":"delete","collection":"*","controller":"document","index":"index1","value":"allowed"}`; string(encoded) != want {
		t.Errorf("item JSON = %s, want %s", encoded, want)
	}
	empty, err := UserRights(nil, roles)
	if err != nil || empty == nil || len(empty) != 0 {
		t.Errorf("UserRights(nil) = %#v, %v; want an empty list", empty, err)
	}
}
