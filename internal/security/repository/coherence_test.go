package repository_test

import (
	"context"
	"testing"
	"time"

	"github.com/starlingmq/starling/internal/coherence"
	"github.com/starlingmq/starling/internal/security/repository"
	"github.com/starlingmq/starling/internal/store"
	"github.com/starlingmq/starling/internal/store/postgres"
)

// sharedPair opens two repositories, as two nodes would, each on its own
// store of one PostgreSQL database; wired, each one's changes are applied
// to the other on a goroutine of their own, as a transport would.
func sharedPair(t *testing.T, wired bool) (a, b *repository.Repository) {
	t.Helper()
	url := stores.PostgresURL(t)
	open := func() *repository.Repository {
		st, err := postgres.Open(context.Background(), url, postgres.Options{PoolSize: 2})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		r, err := repository.Open(context.Background(), st, repository.Config{Shared: true})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	a, b = open(), open()
	if wired {
		a.SetEmitter(applyTo(t, b))
		b.SetEmitter(applyTo(t, a))
	}
	return a, b
}

// applyTo returns a send function applying changes to r.
func applyTo(t *testing.T, r *repository.Repository) func(coherence.Change) {
	return func(c coherence.Change) {
		go func() {
			if err := r.Apply(context.Background(), c); err != nil {
				t.Errorf("apply %s: %v", c, err)
			}
		}()
	}
}

// eventually polls cond until it holds, failing t after a generous
// deadline.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// allows reports whether user id may run document:create on i:c,
// according to r.
func allows(r *repository.Repository, id string) bool {
	p, err := r.Principal(context.Background(), id)
	return err == nil && p.Allows("document", "create", "i", "c")
}

// TestDefinitionsFollowTheOtherNode checks that roles, profiles and users
// changed through one repository reach the other's rights checks.
func TestDefinitionsFollowTheOtherNode(t *testing.T) {
	a, b := sharedPair(t, true)
	ctx := context.Background()
	if _, err := a.PutRole(ctx, mustParseRole(t, "writer", `{"controllers":{"document":{"actions":{"create":true}}}}`), store.OpCreate, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := a.PutProfile(ctx, mustParseProfile(t, "writers", `{"policies":[{"roleId":"writer"}]}`), store.OpCreate, ""); err != nil {
		t.Fatal(err)
	}
	eventually(t, "b knows the profile", func() bool { _, err := b.Profile("writers"); return err == nil })
	if _, err := a.PutUser(ctx, mustParseUser(t, "alice", `{"content":{"profileIds":["writers"]}}`), store.OpCreate, ""); err != nil {
		t.Fatal(err)
	}
	if !allows(b, "alice") {
		t.Fatal("b refuses what the role allows")
	}
	// The role loses the right through a: b's checks follow.
	if _, err := a.PutRole(ctx, mustParseRole(t, "writer", `{"controllers":{"document":{"actions":{"get":true}}}}`), store.OpReplace, ""); err != nil {
		t.Fatal(err)
	}
	eventually(t, "b refuses once the role changed", func() bool { return !allows(b, "alice") })
	// The user is cached by b; deleted through a, b forgets it.
	if err := a.DeleteUser(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "b forgets the deleted user", func() bool {
		_, err := b.User(ctx, "alice")
		return errID(err) == "security.user.not_found"
	})
}

// TestChecksReadTheStoreFirst checks that, with no change delivered, a
// repository does not refuse or allow a write on definitions older than
// the store's: a user may get a profile created through the other node,
// and a role the other node's profile uses cannot be deleted.
func TestChecksReadTheStoreFirst(t *testing.T) {
	a, b := sharedPair(t, false)
	ctx := context.Background()
	if _, err := a.PutRole(ctx, mustParseRole(t, "reader", `{"controllers":{"document":{"actions":{"get":true}}}}`), store.OpCreate, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := b.PutRole(ctx, mustParseRole(t, "other", `{"controllers":{"document":{"actions":{"get":true}}}}`), store.OpCreate, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := a.PutProfile(ctx, mustParseProfile(t, "readers", `{"policies":[{"roleId":"reader"},{"roleId":"other"}]}`), store.OpCreate, ""); err != nil {
		t.Fatalf("a profile using a role created through b: %v", err)
	}
	if _, err := b.PutUser(ctx, mustParseUser(t, "bob", `{"content":{"profileIds":["readers"]}}`), store.OpCreate, ""); err != nil {
		t.Fatalf("a user with a profile created through a: %v", err)
	}
	if err := b.DeleteRole(ctx, "reader"); errID(err) != "security.role.in_use" {
		t.Errorf("deleting a role a's profile uses: %v", err)
	}
	if _, err := b.PutUser(ctx, mustParseUser(t, "carol", `{"content":{"profileIds":["nowhere"]}}`), store.OpCreate, ""); errID(err) != "security.profile.not_found" {
		t.Errorf("a user with a profile that exists nowhere: %v", err)
	}
}
