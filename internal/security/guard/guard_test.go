package guard_test

import (
	"context"
	"testing"

	"github.com/starlingmq/starling/internal/api"
	"github.com/starlingmq/starling/internal/kerror"
	"github.com/starlingmq/starling/internal/security"
	"github.com/starlingmq/starling/internal/security/guard"
	"github.com/starlingmq/starling/internal/security/repository"
	"github.com/starlingmq/starling/internal/security/token"
	"github.com/starlingmq/starling/internal/store"
	"github.com/starlingmq/starling/internal/store/sqlite"
)

func newGuard(tb testing.TB) (*guard.Guard, *token.Manager) {
	tb.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, tb.TempDir(), sqlite.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	repo, err := repository.Open(ctx, st, repository.Config{})
	if err != nil {
		tb.Fatal(err)
	}
	cfg := token.DefaultConfig()
	cfg.Secret = []byte("0123456789abcdef0123456789abcdef")
	tokens, err := token.NewManager(cfg, token.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(tokens.Close)
	return guard.New(tokens, repo, guard.Config{}), tokens
}

// BenchmarkAdmitAnonymous is the guard's cost on an anonymous
// document:get.
func BenchmarkAdmitAnonymous(b *testing.B) {
	g, _ := newGuard(b)
	req, kerr := api.Parse([]byte(`{"controller":"document","action":"get","index":"i","collection":"c","_id":"x"}`), api.Connection{ID: "c", Protocol: "mqtt"})
	if kerr != nil {
		b.Fatal(kerr)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := g.Admit(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}

// TestAdmit: the errors of a refused request, the caller of an admitted
// one, and the connection's token standing in for a request without one.
func TestAdmit(t *testing.T) {
	g, tokens := newGuard(t)
	ctx := context.Background()
	admin, err := tokens.Issue("admin-user", token.IssueOptions{})
	if err != nil {
		t.Fatal(err)
	}
	parse := func(payload string, conn api.Connection) *api.Request {
		req, kerr := api.Parse([]byte(payload), conn)
		if kerr != nil {
			t.Fatal(kerr)
		}
		return req
	}
	conn := api.Connection{ID: "c", Protocol: "mqtt"}
	if _, err := g.Admit(ctx, parse(`{"controller":"server","action":"now","jwt":"nope"}`, conn)); errID(err) != "security.token.invalid" {
		t.Fatalf("bad token: %v", err)
	}
	// A token for a user that does not exist is no caller.
	if _, err := g.Admit(ctx, parse(`{"controller":"server","action":"now","jwt":"`+admin.JWT+`"}`, conn)); errID(err) != "security.user.not_found" {
		t.Fatalf("token of an unknown user: %v", err)
	}
	got, err := g.Admit(ctx, parse(`{"controller":"server","action":"now"}`, conn))
	if err != nil {
		t.Fatal(err)
	}
	if c := api.CallerOf(got); c.UserID != api.AnonymousUserID || c.Rights == nil || !c.May("document", "create", "i", "c") {
		t.Fatalf("anonymous caller: %+v", c)
	}
	conn.Token = "from-connect"
	if _, err := g.Admit(ctx, parse(`{"controller":"server","action":"now"}`, conn)); errID(err) != "security.token.invalid" {
		t.Fatalf("the connection's token was not used: %v", err)
	}
}

func errID(err error) string {
	if kerr, ok := err.(*kerror.Error); ok {
		return kerr.ID
	}
	if err == nil {
		return ""
	}
	return err.Error()
}

// BenchmarkAdmitToken is the guard's cost on a request carrying the
// token of a user with the admin profile.
func BenchmarkAdmitToken(b *testing.B) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, b.TempDir(), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	repo, err := repository.Open(ctx, st, repository.Config{})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := repo.PutUser(ctx, &security.User{ID: "u", ProfileIDs: []string{"admin"}}, store.OpCreate, "-1"); err != nil {
		b.Fatal(err)
	}
	cfg := token.DefaultConfig()
	cfg.Secret = []byte("0123456789abcdef0123456789abcdef")
	tokens, err := token.NewManager(cfg, token.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer tokens.Close()
	tok, err := tokens.Issue("u", token.IssueOptions{})
	if err != nil {
		b.Fatal(err)
	}
	var links int
	g := guard.New(tokens, repo, guard.Config{Link: func(token.Token, string) { links++ }})
	req, kerr := api.Parse([]byte(`{"controller":"server","action":"now","jwt":"`+tok.JWT+`"}`), api.Connection{ID: "c", Protocol: "mqtt"})
	if kerr != nil {
		b.Fatal(kerr)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := g.Admit(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}
