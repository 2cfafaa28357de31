package local

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/security/password"
	"github.com/starlingmq/starling/internal/store/storetest"
)

func TestVerify(t *testing.T) { stores.Run(t, testVerify) }

func testVerify(t *testing.T, fresh storetest.Fresh) {
	f := newFixture(t, fresh, nil, Options{})
	f.mustCreate(t, "u1", "alice", "secret-1", "")
	tests := []struct {
		name, username, pw, kuid, id string
	}{
		{"right", "alice", "secret-1", "u1", ""},
		{"wrong password", "alice", "secret-2", "", "plugin.strategy.missing_user"},
		{"unknown username", "bob", "secret-1", "", "plugin.strategy.missing_user"},
		{"empty username", "", "secret-1", "", "plugin.strategy.missing_user"},
		{"case matters", "Alice", "secret-1", "", "plugin.strategy.missing_user"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f.verifies.Store(0)
			kuid, err := f.s.Verify(context.Background(), tc.username, tc.pw)
			wantErr(t, err, tc.id, "")
			if tc.id != "" {
				// Same answer for both failures.
				wantErr(t, err, tc.id, "wrong username or password")
			}
			if kuid != tc.kuid {
				t.Fatalf("kuid %q, want %q", kuid, tc.kuid)
			}
			// Every path spends exactly one hash verification, so that
			// unknown usernames answer as slowly as known ones.
			if got := f.verifies.Load(); got != 1 {
				t.Fatalf("%d hash verifications, want 1", got)
			}
		})
	}
}

func TestVerifyRehashes(t *testing.T) { stores.Run(t, testVerifyRehashes) }

func testVerifyRehashes(t *testing.T, fresh storetest.Fresh) {
	st := openStore(t, fresh)
	old := newFixtureOn(t, st, fastConfig, nil, Options{})
	old.mustCreate(t, "u1", "alice", "secret-1", "admin")
	before := old.stored(t, "alice")

	stronger := fastConfig
	stronger.Iterations = 2
	f := newFixtureOn(t, st, stronger, nil, Options{})
	if kuid, err := f.s.Verify(context.Background(), "alice", "secret-1"); err != nil || kuid != "u1" {
		t.Fatalf("verify: %q %v", kuid, err)
	}
	after := f.stored(t, "alice")
	if after.Password == before.Password || f.s.hasher.NeedsRehash(after.Password) {
		t.Fatalf("hash not upgraded: %q", after.Password)
	}
	if after.ChangedAt != before.ChangedAt || after.Updater != "admin" {
		t.Fatalf("rehash changed the password's date or updater: %+v", after)
	}
	if kuid, err := f.s.Verify(context.Background(), "alice", "secret-1"); err != nil || kuid != "u1" {
		t.Fatalf("verify after rehash: %q %v", kuid, err)
	}
}

func TestVerifyLoginPolicies(t *testing.T) { stores.Run(t, testVerifyLoginPolicies) }

func testVerifyLoginPolicies(t *testing.T, fresh storetest.Fresh) {
	subjects := func(_ context.Context, kuid string) (password.Subject, error) {
		if kuid == "root" {
			return password.Subject{ProfileIDs: []string{"admin"}, RoleIDs: []string{"admin"}, Admin: true}, nil
		}
		return password.Subject{ProfileIDs: []string{"default"}, RoleIDs: []string{"default"}}, nil
	}
	f := newFixture(t, fresh, []password.Policy{
		{AppliesTo: password.AppliesTo{Profiles: []string{"default", "admin"}}, ExpiresAfter: time.Hour},
		{AppliesTo: password.AppliesTo{All: true}, MustChangePasswordIfSetByAdmin: true},
	}, Options{Subject: subjects})
	ctx := context.Background()
	f.mustCreate(t, "u1", "alice", "secret-1", "u1")
	f.mustCreate(t, "u2", "bob", "secret-2", "root")
	f.mustCreate(t, "root", "root", "secret-3", "someone")

	if kuid, err := f.s.Verify(ctx, "alice", "secret-1"); err != nil || kuid != "u1" {
		t.Fatalf("alice: %q %v", kuid, err)
	}
	_, err := f.s.Verify(ctx, "bob", "secret-2")
	wantErr(t, err, plugin+"must_change_password", "Password change required")
	// Admins never have to change a password set by someone else.
	if kuid, err := f.s.Verify(ctx, "root", "secret-3"); err != nil || kuid != "root" {
		t.Fatalf("root: %q %v", kuid, err)
	}
	// The wrong password is still the plain failure.
	_, err = f.s.Verify(ctx, "bob", "nope")
	wantErr(t, err, "plugin.strategy.missing_user", "wrong username or password")

	// Bob sets his own password: he may log in.
	if _, err := f.s.Update(ctx, "u2", creds("", "secret-2b"), "u2"); err != nil {
		t.Fatal(err)
	}
	if kuid, err := f.s.Verify(ctx, "bob", "secret-2b"); err != nil || kuid != "u2" {
		t.Fatalf("bob after his change: %q %v", kuid, err)
	}

	f.clock.Advance(time.Hour + time.Millisecond)
	for _, login := range [][2]string{{"alice", "secret-1"}, {"root", "secret-3"}} {
		_, err := f.s.Verify(ctx, login[0], login[1])
		wantErr(t, err, plugin+"expired_password", "Expired password")
	}
	// A new password starts a new period.
	if _, err := f.s.Update(ctx, "u1", creds("", "secret-1b"), "u1"); err != nil {
		t.Fatal(err)
	}
	if kuid, err := f.s.Verify(ctx, "alice", "secret-1b"); err != nil || kuid != "u1" {
		t.Fatalf("alice after renewal: %q %v", kuid, err)
	}
}

func TestValidatePolicies(t *testing.T) { stores.Run(t, testValidatePolicies) }

func testValidatePolicies(t *testing.T, fresh storetest.Fresh) {
	f := newFixture(t, fresh, []password.Policy{
		{AppliesTo: password.AppliesTo{All: true}, ForbidLoginInPassword: true, PasswordRegex: "/^.{8,}$/u"},
		{AppliesTo: password.AppliesTo{Users: []string{"u1"}}, ForbidReusedPasswordCount: 3},
	}, Options{})
	ctx := context.Background()
	f.mustCreate(t, "u1", "alice", "password-1", "")
	f.mustCreate(t, "u2", "bob", "password-1", "")
	tests := []struct {
		name, kuid, body string
		isUpdate         bool
		id               string
	}{
		{"weak", "u3", `{"username":"carol","password":"short"}`, false, plugin + "weak_password"},
		{"login in password", "u3", `{"username":"carol","password":"xxCAROLxx"}`, false, plugin + "login_in_password"},
		{"fine", "u3", `{"username":"carol","password":"long enough"}`, false, ""},
		{"no kuid, no policy", "", `{"username":"carol","password":"short"}`, false, ""},
		{"stored login in password", "u1", `{"password":"my-alice-pw"}`, true, plugin + "login_in_password"},
		{"new login in password", "u1", `{"username":"ally","password":"ally-password"}`, true, plugin + "login_in_password"},
		{"weak update", "u1", `{"password":"short"}`, true, plugin + "weak_password"},
		{"current password reused", "u1", `{"password":"password-1"}`, true, plugin + "reused_password"},
		{"no reuse policy for u2", "u2", `{"password":"password-1"}`, true, ""},
		{"username only skips password checks", "u1", `{"username":"ally"}`, true, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantErr(t, f.s.Validate(ctx, tc.kuid, jsonx.RawMessage(tc.body), tc.isUpdate), tc.id, "")
		})
	}
}

func TestPasswordHistory(t *testing.T) { stores.Run(t, testPasswordHistory) }

func testPasswordHistory(t *testing.T, fresh storetest.Fresh) {
	f := newFixture(t, fresh, []password.Policy{
		{AppliesTo: password.AppliesTo{All: true}, ForbidReusedPasswordCount: 3},
	}, Options{})
	ctx := context.Background()
	f.mustCreate(t, "u1", "alice", "password-1", "")
	change := func(pw string) error {
		t.Helper()
		if err := f.s.Validate(ctx, "u1", creds("", pw), true); err != nil {
			return err
		}
		_, err := f.s.Update(ctx, "u1", creds("", pw), "u1")
		return err
	}
	for _, pw := range []string{"password-2", "password-3", "password-4"} {
		f.clock.Advance(time.Second)
		if err := change(pw); err != nil {
			t.Fatalf("change to %s: %v", pw, err)
		}
	}
	// Retention 3: the current password and the 2 before it.
	r := f.stored(t, "alice")
	if len(r.PasswordHistory) != 2 {
		t.Fatalf("history of %d, want 2: %+v", len(r.PasswordHistory), r.PasswordHistory)
	}
	var kept []string
	for _, old := range r.PasswordHistory {
		for _, pw := range []string{"password-1", "password-2", "password-3"} {
			if ok, _ := password.Verify(pw, old.Password); ok {
				kept = append(kept, pw)
			}
		}
		if old.ArchivedAt == 0 || old.ChangedAt == 0 {
			t.Fatalf("archived entry without dates: %+v", old)
		}
	}
	if !slices.Equal(kept, []string{"password-3", "password-2"}) {
		t.Fatalf("history holds %v", kept)
	}
	for _, pw := range []string{"password-4", "password-3", "password-2"} {
		wantErr(t, change(pw), plugin+"reused_password", "Cannot reuse password")
	}
	// password-1 fell out of the history.
	if err := change("password-1"); err != nil {
		t.Fatalf("password-1 again: %v", err)
	}
}

func TestNoHistoryWithoutRetention(t *testing.T) { stores.Run(t, testNoHistoryWithoutRetention) }

func testNoHistoryWithoutRetention(t *testing.T, fresh storetest.Fresh) {
	f := newFixture(t, fresh, nil, Options{})
	f.mustCreate(t, "u1", "alice", "password-1", "")
	if _, err := f.s.Update(context.Background(), "u1", creds("", "password-2"), "u1"); err != nil {
		t.Fatal(err)
	}
	if r := f.stored(t, "alice"); len(r.PasswordHistory) != 0 {
		t.Fatalf("history kept without retention: %+v", r.PasswordHistory)
	}
	if err := f.s.Validate(context.Background(), "u1", creds("", "password-2"), true); err != nil {
		t.Fatalf("reuse without policy: %v", err)
	}
}
