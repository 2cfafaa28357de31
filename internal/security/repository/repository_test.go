package repository_test

import (
	"context"
	"errors"
	"os"
	"testing"

	"github.com/starlingmq/starling/internal/kerror"
	"github.com/starlingmq/starling/internal/security"
	"github.com/starlingmq/starling/internal/security/repository"
	"github.com/starlingmq/starling/internal/store"
	"github.com/starlingmq/starling/internal/store/storetest"
	"github.com/starlingmq/starling/internal/store/teststores"
)

// stores makes the stores of the tests, on each dialect.
var stores teststores.Dialects

func TestMain(m *testing.M) { os.Exit(teststores.Main(m, &stores)) }

// open opens a repository on the store of place, closed with the test.
func open(t *testing.T, place storetest.Opener) (*repository.Repository, store.Store) {
	t.Helper()
	st := teststores.Open(t, place)
	r, err := repository.Open(context.Background(), st, repository.Config{})
	if err != nil {
		t.Fatal(err)
	}
	return r, st
}

// errID is a Kuzzle error's id, "" for nil, the text for another error.
func errID(err error) string {
	var kerr *kerror.Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &kerr):
		return kerr.ID
	}
	return err.Error()
}

func mustParseRole(t *testing.T, id, body string) *security.Role {
	t.Helper()
	r, err := security.ParseRole(id, []byte(body))
	if err != nil {
		t.Fatalf("role %s: %v", id, err)
	}
	return r
}

func mustParseProfile(t *testing.T, id, body string) *security.Profile {
	t.Helper()
	p, err := security.ParseProfile(id, []byte(body))
	if err != nil {
		t.Fatalf("profile %s: %v", id, err)
	}
	return p
}

func mustParseUser(t *testing.T, id, body string) *security.User {
	t.Helper()
	u, err := security.ParseUserCreate(id, []byte(body))
	if err != nil {
		t.Fatalf("user %s: %v", id, err)
	}
	return u
}

func TestBootstrapOnceAndKept(t *testing.T) { stores.Run(t, testBootstrapOnceAndKept) }

func testBootstrapOnceAndKept(t *testing.T, fresh storetest.Fresh) {
	ctx := context.Background()
	place := fresh(t)
	r, st := open(t, place)
	for _, id := range []string{"admin", "default", "anonymous"} {
		if _, err := r.Role(id); err != nil {
			t.Errorf("built-in role %s: %v", id, err)
		}
		if _, err := r.Profile(id); err != nil {
			t.Errorf("built-in profile %s: %v", id, err)
		}
	}
	// A changed built-in survives a restart: the bootstrap runs once.
	if _, err := r.PutRole(ctx, mustParseRole(t, "default", `{"controllers":{"auth":{"actions":{"login":true}}}}`), store.OpCreateOrReplace, "-1"); err != nil {
		t.Fatal(err)
	}
	st.Close()
	r2, _ := open(t, place)
	role, err := r2.Role("default")
	if err != nil {
		t.Fatal(err)
	}
	if role.Allows("document", "create") || !role.Allows("auth", "login") {
		t.Fatalf("the default role was written over at restart: %+v", role.Controllers)
	}
	if n := len(r2.RoleList()); n != 3 {
		t.Fatalf("%d roles after restart, want 3", n)
	}
}

func TestRoles(t *testing.T) { stores.Run(t, testRoles) }

func testRoles(t *testing.T, fresh storetest.Fresh) {
	ctx := context.Background()
	r, _ := open(t, fresh(t))
	reader := mustParseRole(t, "reader", `{"controllers":{"document":{"actions":{"get":true,"search":true}}}}`)
	if _, err := r.PutRole(ctx, reader, store.OpCreate, "-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.PutRole(ctx, reader, store.OpCreate, "-1"); errID(err) != "services.storage.document_already_exists" {
		t.Fatalf("create twice: %v", err)
	}
	if _, err := r.PutRole(ctx, mustParseRole(t, "ghost", `{"controllers":{"*":{"actions":{"*":true}}}}`), store.OpReplace, "-1"); errID(err) != "security.role.not_found" {
		t.Fatalf("replace a missing role: %v", err)
	}
	if err := r.DeleteRole(ctx, "admin"); errID(err) != "security.role.cannot_delete" {
		t.Fatalf("delete admin: %v", err)
	}
	if _, err := r.PutProfile(ctx, mustParseProfile(t, "readers", `{"policies":[{"roleId":"reader"}]}`), store.OpCreate, "-1"); err != nil {
		t.Fatal(err)
	}
	if err := r.DeleteRole(ctx, "reader"); errID(err) != "security.role.in_use" {
		t.Fatalf("delete a role in use: %v", err)
	}
	if err := r.DeleteProfile(ctx, "readers", false, "-1"); err != nil {
		t.Fatal(err)
	}
	if err := r.DeleteRole(ctx, "reader"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Role("reader"); errID(err) != "security.role.not_found" {
		t.Fatalf("deleted role: %v", err)
	}
	if err := r.DeleteRole(ctx, "reader"); errID(err) != "security.role.not_found" {
		t.Fatalf("delete twice: %v", err)
	}
}

func TestProfiles(t *testing.T) { stores.Run(t, testProfiles) }

func testProfiles(t *testing.T, fresh storetest.Fresh) {
	ctx := context.Background()
	r, _ := open(t, fresh(t))
	if _, err := r.PutProfile(ctx, mustParseProfile(t, "p", `{"policies":[{"roleId":"default"},{"roleId":"nope"}]}`), store.OpCreate, "-1"); errID(err) != "security.role.not_found" {
		t.Fatalf("a profile naming a missing role: %v", err)
	}
	if _, err := r.Profile("p"); errID(err) != "security.profile.not_found" {
		t.Fatalf("a refused profile was kept: %v", err)
	}
	if _, err := r.PutProfile(ctx, &security.Profile{ID: "anonymous", Policies: []security.Policy{{RoleID: "default"}}}, store.OpCreateOrReplace, "-1"); errID(err) != "security.profile.missing_anonymous_role" {
		t.Fatalf("anonymous without its role: %v", err)
	}
	if err := r.DeleteProfile(ctx, "default", false, "-1"); errID(err) != "security.profile.cannot_delete" {
		t.Fatalf("delete the default profile: %v", err)
	}
	if _, err := r.PutProfile(ctx, mustParseProfile(t, "editors", `{"policies":[{"roleId":"default","restrictedTo":[{"index":"shop"}]}]}`), store.OpCreate, "-1"); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"ann", "bob"} {
		profiles := `["editors"]`
		if id == "bob" {
			profiles = `["editors","default"]`
		}
		if _, err := r.PutUser(ctx, mustParseUser(t, id, `{"content":{"profileIds":`+profiles+`}}`), store.OpCreate, "-1"); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.DeleteProfile(ctx, "editors", false, "-1"); errID(err) != "security.profile.in_use" {
		t.Fatalf("delete a profile in use: %v", err)
	}
	if err := r.DeleteProfile(ctx, "editors", true, "-1"); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]string{"ann": "anonymous", "bob": "default"} {
		u, err := r.User(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if len(u.ProfileIDs) != 1 || u.ProfileIDs[0] != want {
			t.Errorf("%s after its profile was removed: %v, want [%s]", id, u.ProfileIDs, want)
		}
	}
}

func TestUsersAndRights(t *testing.T) { stores.Run(t, testUsersAndRights) }

func testUsersAndRights(t *testing.T, fresh storetest.Fresh) {
	ctx := context.Background()
	place := fresh(t)
	r, st := open(t, place)
	if _, err := r.PutUser(ctx, mustParseUser(t, "u", `{"content":{"profileIds":["nope"]}}`), store.OpCreate, "-1"); errID(err) != "security.profile.not_found" {
		t.Fatalf("a user with a missing profile: %v", err)
	}
	if _, err := r.PutRole(ctx, mustParseRole(t, "shop", `{"controllers":{"document":{"actions":{"*":true}}}}`), store.OpCreate, "-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.PutProfile(ctx, mustParseProfile(t, "shopper", `{"policies":[{"roleId":"shop","restrictedTo":[{"index":"shop","collections":["carts"]}]}]}`), store.OpCreate, "-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.PutUser(ctx, mustParseUser(t, "u", `{"content":{"profileIds":["shopper"],"name":"U"}}`), store.OpCreate, "admin"); err != nil {
		t.Fatal(err)
	}
	p, err := r.Principal(ctx, "u")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		controller, action, index, collection string
		want                                  bool
	}{
		{"document", "create", "shop", "carts", true},
		{"document", "create", "shop", "orders", false},
		{"document", "create", "other", "carts", false},
		{"realtime", "subscribe", "shop", "carts", false},
	} {
		if got := p.Allows(c.controller, c.action, c.index, c.collection); got != c.want {
			t.Errorf("%s:%s on %s:%s = %v, want %v", c.controller, c.action, c.index, c.collection, got, c.want)
		}
	}
	// A replace is seen at once (the cached user is dropped), and kept.
	if _, err := r.PutUser(ctx, mustParseUser(t, "u", `{"content":{"profileIds":["admin"]}}`), store.OpReplace, "admin"); err != nil {
		t.Fatal(err)
	}
	if p, _ = r.Principal(ctx, "u"); !p.Allows("realtime", "subscribe", "shop", "carts") {
		t.Fatal("the replaced user keeps its old rights")
	}
	st.Close()
	r2, _ := open(t, place)
	u, err := r2.User(ctx, "u")
	if err != nil || len(u.ProfileIDs) != 1 || u.ProfileIDs[0] != "admin" {
		t.Fatalf("user after restart: %+v, %v", u, err)
	}
	if anon, err := r2.User(ctx, security.AnonymousID); err != nil || anon.ProfileIDs[0] != "anonymous" {
		t.Fatalf("anonymous: %+v, %v", anon, err)
	}
	if err := r2.DeleteUser(ctx, "u"); err != nil {
		t.Fatal(err)
	}
	if _, err := r2.User(ctx, "u"); errID(err) != "security.user.not_found" {
		t.Fatalf("deleted user: %v", err)
	}
	if err := r2.DeleteUser(ctx, "u"); errID(err) != "security.user.not_found" {
		t.Fatalf("delete twice: %v", err)
	}
	if _, err := r2.PutUser(ctx, mustParseUser(t, "ghost", `{"content":{"profileIds":["default"]}}`), store.OpReplace, "-1"); errID(err) != "security.user.not_found" {
		t.Fatalf("replace a missing user: %v", err)
	}
}

// TestPrincipalGrantingEverything: a role granting every action answers at
// once; the same role with a controller of its own does not (that
// controller's own rights then apply, as in Kuzzle).
func TestPrincipalGrantingEverything(t *testing.T) { stores.Run(t, testPrincipalGrantingEverything) }

func testPrincipalGrantingEverything(t *testing.T, fresh storetest.Fresh) {
	ctx := context.Background()
	r, _ := open(t, fresh(t))
	if _, err := r.PutRole(ctx, mustParseRole(t, "almost", `{"controllers":{"*":{"actions":{"*":true}},"document":{"actions":{"delete":false}}}}`), store.OpCreate, "-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.PutProfile(ctx, mustParseProfile(t, "almost", `{"policies":[{"roleId":"almost"}]}`), store.OpCreate, "-1"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		profile string
		want    bool
	}{{"admin", true}, {"almost", false}} {
		if _, err := r.PutUser(ctx, mustParseUser(t, "u-"+c.profile, `{"content":{"profileIds":["`+c.profile+`"]}}`), store.OpCreate, "-1"); err != nil {
			t.Fatal(err)
		}
		p, err := r.Principal(ctx, "u-"+c.profile)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.Allows("document", "delete", "i", "c"); got != c.want {
			t.Errorf("%s: document:delete %v, want %v", c.profile, got, c.want)
		}
		if !p.Allows("server", "now", "", "") {
			t.Errorf("%s: server:now refused", c.profile)
		}
	}
}
