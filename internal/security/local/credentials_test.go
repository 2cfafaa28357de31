package local

import (
	"context"
	"testing"

	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/security/password"
	"github.com/starlingmq/starling/internal/store/storetest"
)

const plugin = "plugin.kuzzle-plugin-auth-passport-local."

func TestNewCreatesTheCollection(t *testing.T) { stores.Run(t, testNewCreatesTheCollection) }

func testNewCreatesTheCollection(t *testing.T, fresh storetest.Fresh) {
	f := newFixture(t, fresh, nil, Options{})
	ctx := context.Background()
	ok, err := f.st.HasCollection(ctx, Index, Collection)
	if err != nil || !ok {
		t.Fatalf("collection: %v %v", ok, err)
	}
	m, err := f.st.Mapping(ctx, Index, Collection)
	if err != nil {
		t.Fatal(err)
	}
	for _, field := range []string{"kuid", "username"} {
		if m.Properties[field] == nil || m.Properties[field].Type != "keyword" {
			t.Errorf("mapping of %s: %+v", field, m.Properties[field])
		}
	}
	// A second strategy on the same store keeps the documents.
	f.mustCreate(t, "u1", "alice", "secret-1", "")
	again := newFixtureOn(t, f.st, fastConfig, nil, Options{})
	if info, err := again.s.GetInfo(ctx, "u1"); err != nil || info.Username != "alice" {
		t.Fatalf("after reopening: %+v %v", info, err)
	}
}

func TestValidate(t *testing.T) { stores.Run(t, testValidate) }

func testValidate(t *testing.T, fresh storetest.Fresh) {
	f := newFixture(t, fresh, nil, Options{})
	f.mustCreate(t, "u1", "alice", "secret-1", "")
	tests := []struct {
		name     string
		kuid     string
		body     string
		isUpdate bool
		id, msg  string
	}{
		{"create ok", "u2", `{"username":"bob","password":"pw"}`, false, "", ""},
		{"create without kuid", "", `{"username":"bob","password":"pw"}`, false, "", ""},
		{"kuid in credentials", "u2", `{"username":"bob","password":"pw","kuid":"x"}`, false,
			"api.assert.forbidden_argument", "kuid cannot be specified in credentials."},
		{"empty kuid in credentials is ignored", "u2", `{"username":"bob","password":"pw","kuid":""}`, false, "", ""},
		{"no username", "u2", `{"password":"pw"}`, false, "api.assert.missing_argument", "Username required."},
		{"no password", "u2", `{"username":"bob"}`, false, "api.assert.missing_argument", "Password required."},
		{"empty password", "u2", `{"username":"bob","password":""}`, false, "api.assert.missing_argument", "Password required."},
		{"username of another user", "u2", `{"username":"alice","password":"pw"}`, false,
			"security.credentials.rejected", `Login "alice" is already used.`},
		{"username of another user, update", "u2", `{"username":"alice"}`, true,
			"security.credentials.rejected", `Login "alice" is already used.`},
		{"own username", "u1", `{"username":"alice","password":"pw"}`, false, "", ""},
		{"update nothing", "u1", `{}`, true, "security.credentials.rejected", "Missing username or password."},
		{"update without credentials", "u9", `{"password":"pw"}`, true,
			"security.credentials.rejected", `No credentials found for user "u9".`},
		{"update password", "u1", `{"password":"new"}`, true, "", ""},
		{"update username", "u1", `{"username":"alicia"}`, true, "", ""},
		{"not an object", "u1", `[1]`, false, "api.assert.invalid_argument", ""},
		{"username not a string", "u1", `{"username":1,"password":"pw"}`, false, "api.assert.invalid_type", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := f.s.Validate(context.Background(), tc.kuid, jsonx.RawMessage(tc.body), tc.isUpdate)
			wantErr(t, err, tc.id, tc.msg)
		})
	}
}

func TestCreate(t *testing.T) { stores.Run(t, testCreate) }

func testCreate(t *testing.T, fresh storetest.Fresh) {
	f := newFixture(t, fresh, nil, Options{})
	ctx := context.Background()
	info, err := f.s.Create(ctx, "u1", creds("alice", "secret-1"), "admin")
	if err != nil || info != (Info{Username: "alice", Kuid: "u1"}) {
		t.Fatalf("create: %+v %v", info, err)
	}
	r := f.stored(t, "alice")
	if r.Kuid != "u1" || r.Updater != "admin" || r.ChangedAt != f.clock.Now().UnixMilli() || len(r.PasswordHistory) != 0 {
		t.Fatalf("stored %+v", r)
	}
	if ok, _ := password.Verify("secret-1", r.Password); !ok {
		t.Fatalf("stored hash %q does not verify", r.Password)
	}
	tests := []struct {
		name, kuid string
		body       jsonx.RawMessage
		id, msg    string
	}{
		{"duplicate username", "u2", creds("alice", "pw"), "security.credentials.rejected", `Login "alice" is already used.`},
		{"second username for one kuid", "u1", creds("alice2", "pw"), "security.credentials.rejected", `A strategy already exists for user "u1".`},
		{"no password", "u2", creds("bob", ""), "api.assert.missing_argument", "Password needed."},
		{"no username", "u2", creds("", "pw"), "api.assert.missing_argument", "Username required."},
		{"kuid", "u2", jsonx.RawMessage(`{"username":"bob","password":"pw","kuid":"u2"}`), "api.assert.forbidden_argument", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.s.Create(ctx, tc.kuid, tc.body, "")
			wantErr(t, err, tc.id, tc.msg)
		})
	}
	if r := f.stored(t, "alice2"); r != nil {
		t.Fatalf("a refused create wrote %+v", r)
	}
	if ok, _ := f.s.Exists(ctx, "u2"); ok {
		t.Fatal("a refused create left credentials for u2")
	}
}

func TestExistsGetInfoGetByUsernameDelete(t *testing.T) {
	stores.Run(t, testExistsGetInfoGetByUsernameDelete)
}

func testExistsGetInfoGetByUsernameDelete(t *testing.T, fresh storetest.Fresh) {
	f := newFixture(t, fresh, nil, Options{})
	ctx := context.Background()
	f.mustCreate(t, "u1", "alice", "secret-1", "")
	f.mustCreate(t, "u2", "bob", "secret-2", "")

	if ok, err := f.s.Exists(ctx, "u1"); err != nil || !ok {
		t.Fatalf("exists u1: %v %v", ok, err)
	}
	if ok, err := f.s.Exists(ctx, "u3"); err != nil || ok {
		t.Fatalf("exists u3: %v %v", ok, err)
	}
	if info, err := f.s.GetInfo(ctx, "u2"); err != nil || info != (Info{Username: "bob", Kuid: "u2"}) {
		t.Fatalf("getInfo: %+v %v", info, err)
	}
	_, err := f.s.GetInfo(ctx, "u3")
	wantErr(t, err, "security.credentials.rejected", `No credentials found for user "u3".`)
	if info, err := f.s.GetByUsername(ctx, "alice"); err != nil || info != (Info{Username: "alice", Kuid: "u1"}) {
		t.Fatalf("getById: %+v %v", info, err)
	}
	_, err = f.s.GetByUsername(ctx, "carol")
	wantErr(t, err, "security.credentials.rejected", `No credentials found for username "carol".`)
	info, err := f.s.GetInfo(ctx, "u1")
	b, _ := jsonx.Marshal(info)
	if err != nil || string(b) != `{"username":"alice","kuid":"u1"}` {
		t.Fatalf("getInfo JSON %s %v", b, err)
	}

	if err := f.s.Delete(ctx, "u1"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := f.s.Exists(ctx, "u1"); ok {
		t.Fatal("u1 still has credentials")
	}
	if r := f.stored(t, "alice"); r != nil {
		t.Fatalf("alice still stored: %+v", r)
	}
	wantErr(t, f.s.Delete(ctx, "u1"), "security.credentials.rejected", `No credentials found for user "u1".`)
	_, err = f.s.Verify(ctx, "alice", "secret-1")
	wantErr(t, err, "plugin.strategy.missing_user", "wrong username or password")
	// The username is free again, for anyone.
	f.mustCreate(t, "u3", "alice", "secret-3", "")
	if kuid, err := f.s.Verify(ctx, "alice", "secret-3"); err != nil || kuid != "u3" {
		t.Fatalf("verify after reuse of the username: %q %v", kuid, err)
	}
}

func TestUpdate(t *testing.T) { stores.Run(t, testUpdate) }

func testUpdate(t *testing.T, fresh storetest.Fresh) {
	f := newFixture(t, fresh, nil, Options{})
	ctx := context.Background()
	f.mustCreate(t, "u1", "alice", "secret-1", "admin")
	f.mustCreate(t, "u2", "bob", "secret-2", "")
	f.clock.Advance(1000)

	// Password only.
	info, err := f.s.Update(ctx, "u1", creds("", "secret-1b"), "u1")
	if err != nil || info != (Info{Username: "alice", Kuid: "u1"}) {
		t.Fatalf("update: %+v %v", info, err)
	}
	r := f.stored(t, "alice")
	if r.Updater != "u1" || r.ChangedAt != f.clock.Now().UnixMilli() {
		t.Fatalf("after password update: %+v", r)
	}
	if _, err := f.s.Verify(ctx, "alice", "secret-1"); err == nil {
		t.Fatal("the old password still verifies")
	}
	if kuid, err := f.s.Verify(ctx, "alice", "secret-1b"); err != nil || kuid != "u1" {
		t.Fatalf("verify new password: %q %v", kuid, err)
	}

	// Username only: the password and its date stay.
	changedAt := r.ChangedAt
	f.clock.Advance(1000)
	info, err = f.s.Update(ctx, "u1", creds("alicia", ""), "admin")
	if err != nil || info != (Info{Username: "alicia", Kuid: "u1"}) {
		t.Fatalf("rename: %+v %v", info, err)
	}
	if f.stored(t, "alice") != nil {
		t.Fatal("the old username is still stored")
	}
	r = f.stored(t, "alicia")
	if r.Kuid != "u1" || r.ChangedAt != changedAt || r.Updater != "u1" {
		t.Fatalf("after rename: %+v", r)
	}
	if kuid, err := f.s.Verify(ctx, "alicia", "secret-1b"); err != nil || kuid != "u1" {
		t.Fatalf("verify after rename: %q %v", kuid, err)
	}
	if info, _ := f.s.GetInfo(ctx, "u1"); info.Username != "alicia" {
		t.Fatalf("getInfo after rename: %+v", info)
	}

	// Both at once.
	if _, err := f.s.Update(ctx, "u1", creds("ally", "secret-1c"), "u1"); err != nil {
		t.Fatal(err)
	}
	if kuid, err := f.s.Verify(ctx, "ally", "secret-1c"); err != nil || kuid != "u1" {
		t.Fatalf("verify after rename and password: %q %v", kuid, err)
	}

	tests := []struct {
		name, kuid string
		body       jsonx.RawMessage
		id, msg    string
	}{
		{"to a taken username", "u1", creds("bob", ""), "security.credentials.rejected", `Login "bob" is already used.`},
		{"kuid", "u1", jsonx.RawMessage(`{"kuid":"u2"}`), "api.assert.forbidden_argument", "The request must not contain a kuid attribute."},
		{"no credentials", "u9", creds("", "pw"), "security.credentials.rejected", `No credentials found for user "u9".`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.s.Update(ctx, tc.kuid, tc.body, "")
			wantErr(t, err, tc.id, tc.msg)
		})
	}
	// The refused rename changed nothing.
	if info, _ := f.s.GetInfo(ctx, "u1"); info.Username != "ally" {
		t.Fatalf("after a refused rename: %+v", info)
	}
	if info, _ := f.s.GetInfo(ctx, "u2"); info.Username != "bob" {
		t.Fatalf("bob after a refused rename: %+v", info)
	}
}

func TestPasswordRequiredCheck(t *testing.T) { stores.Run(t, testPasswordRequiredCheck) }

func testPasswordRequiredCheck(t *testing.T, fresh storetest.Fresh) {
	f := newFixture(t, fresh, nil, Options{})
	f.mustCreate(t, "u1", "alice", "secret-1", "")
	tests := []struct {
		name, kuid, current, id, msg string
		verifies                     int32
	}{
		{"right", "u1", "secret-1", "", "", 1},
		{"empty", "u1", "", "api.assert.missing_argument", "Cannot update credentials: password required.", 0},
		{"wrong", "u1", "nope", "security.rights.forbidden", "Invalid user or password.", 1},
		{"no credentials", "u9", "secret-1", "security.rights.forbidden", "Invalid user or password.", 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f.verifies.Store(0)
			wantErr(t, f.s.PasswordRequiredCheck(context.Background(), tc.kuid, tc.current), tc.id, tc.msg)
			if got := f.verifies.Load(); got != tc.verifies {
				t.Fatalf("%d hash verifications, want %d", got, tc.verifies)
			}
		})
	}
}

func TestConcurrentCreates(t *testing.T) { stores.Run(t, testConcurrentCreates) }

func testConcurrentCreates(t *testing.T, fresh storetest.Fresh) {
	f := newFixture(t, fresh, nil, Options{})
	ctx := context.Background()
	const n = 8
	errs := make(chan error, 2*n)
	for i := range n {
		// The same username for n users, and n usernames for one user.
		go func() { _, err := f.s.Create(ctx, "k"+string(rune('a'+i)), creds("shared", "pw"), ""); errs <- err }()
		go func() { _, err := f.s.Create(ctx, "one", creds("name"+string(rune('a'+i)), "pw"), ""); errs <- err }()
	}
	ok := 0
	for range 2 * n {
		if err := <-errs; err == nil {
			ok++
		} else {
			wantErr(t, err, "security.credentials.rejected", "")
		}
	}
	if ok != 2 {
		t.Fatalf("%d creates succeeded, want 2", ok)
	}
	res, err := f.s.Search(ctx, nil, 0, 100)
	if err != nil || res.Total != 2 {
		t.Fatalf("stored %+v %v", res, err)
	}
}
