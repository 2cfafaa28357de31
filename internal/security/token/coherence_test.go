package token_test

import (
	"context"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/starlingmq/starling/internal/coherence"
	"github.com/starlingmq/starling/internal/kerror"
	"github.com/starlingmq/starling/internal/security/repository"
	"github.com/starlingmq/starling/internal/security/token"
	"github.com/starlingmq/starling/internal/store/postgres"
	"github.com/starlingmq/starling/internal/store/storetest"
)

// pg is the PostgreSQL cluster of this test binary, nil when PostgreSQL
// is not installed.
var pg *storetest.Cluster

func TestMain(m *testing.M) { os.Exit(storetest.Main(m, &pg)) }

// node is one node's token manager over its own store of the shared
// database, storing tokens as the node does.
type node struct {
	tokens  *token.Manager
	repo    *repository.Repository
	lookups atomic.Int64
}

// newNode opens a node's repository on the database at url and a token
// manager reading stored tokens through it; an ended token is forgotten by
// the store, unless another node ended it.
func newNode(t *testing.T, url string) *node {
	t.Helper()
	ctx := context.Background()
	st, err := postgres.Open(ctx, url, postgres.Options{PoolSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	n := &node{}
	if n.repo, err = repository.Open(ctx, st, repository.Config{Shared: true}); err != nil {
		t.Fatal(err)
	}
	cfg := token.DefaultConfig()
	cfg.Secret = []byte("a secret the nodes share")
	n.tokens, err = token.NewManager(cfg, token.Options{
		OnEnd: func(tok token.Token, why token.EndReason) {
			if why != token.RevokedElsewhere {
				_ = n.repo.DeleteToken(context.Background(), tok.JWT)
			}
		},
		Lookup: func(fingerprint string) (token.Token, bool, error) {
			n.lookups.Add(1)
			s, found, err := n.repo.StoredTokenOf(context.Background(), fingerprint)
			if !found || err != nil {
				return token.Token{}, found, err
			}
			tok := token.Token{JWT: s.JWT, UserID: s.UserID, Type: token.Type(s.Type), SingleUse: s.SingleUse, TTL: token.Never}
			if s.ExpiresAt >= 0 {
				tok.ExpiresAt = time.UnixMilli(s.ExpiresAt)
				tok.TTL = time.Duration(s.TTL) * time.Millisecond
			}
			return tok, true, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.tokens.Close)
	return n
}

// login issues and stores a token for user, as auth:login does.
func (n *node) login(t *testing.T, user string, o token.IssueOptions) token.Token {
	t.Helper()
	tok, err := n.tokens.Issue(user, o)
	if err != nil {
		t.Fatal(err)
	}
	err = n.repo.SaveToken(context.Background(), repository.StoredToken{
		JWT: tok.JWT, UserID: tok.UserID, ExpiresAt: tok.ExpiresAtMillis(), TTL: tok.TTLMillis(),
		Type: string(tok.Type), SingleUse: tok.SingleUse,
	})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// wire delivers each node's changes to the other's Apply, on a goroutine
// of their own as a transport would.
func wire(a, b *node) {
	to := func(n *node) func(coherence.Change) {
		return func(c coherence.Change) { go n.tokens.Apply(c) }
	}
	a.tokens.SetEmitter(to(b))
	b.tokens.SetEmitter(to(a))
}

// refused reports whether n refuses jwt as security.token.invalid.
func refused(n *node, jwt string) bool {
	_, err := n.tokens.Verify(jwt)
	kerr, ok := err.(*kerror.Error)
	return ok && kerr.ID == "security.token.invalid"
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

// TestTokensAcrossNodes checks that a token issued on one node is accepted
// on another at once (read through the store, once), and that a logout, a
// revocation of a user's tokens and the use of a single-use token on one
// node reach the other.
func TestTokensAcrossNodes(t *testing.T) {
	url := storetest.Database(t, pg)
	a, b := newNode(t, url), newNode(t, url)
	wire(a, b)
	tok := a.login(t, "alice", token.IssueOptions{})
	for range 3 {
		if got, err := b.tokens.Verify(tok.JWT); err != nil || got.UserID != "alice" {
			t.Fatalf("b verifies a's token: %v %v", got, err)
		}
	}
	if n := b.lookups.Load(); n != 1 {
		t.Errorf("b looked the token up %d times", n)
	}
	if _, ok := a.tokens.Revoke(tok.JWT); !ok {
		t.Fatal("a did not hold its token")
	}
	eventually(t, "b refuses the token a revoked", func() bool { return refused(b, tok.JWT) })
	if c := newNode(t, url); !refused(c, tok.JWT) {
		t.Error("a node that never held the token accepts it")
	}

	second := a.login(t, "bob", token.IssueOptions{})
	if _, err := b.tokens.Verify(second.JWT); err != nil {
		t.Fatal(err)
	}
	a.tokens.RevokeUser("bob", true)
	eventually(t, "b refuses the tokens of the user a logged out", func() bool { return refused(b, second.JWT) })

	once := a.login(t, "carol", token.IssueOptions{SingleUse: true})
	if _, err := b.tokens.Verify(once.JWT); err != nil {
		t.Fatal(err)
	}
	eventually(t, "a refuses the single-use token b used", func() bool { return refused(a, once.JWT) })
}

// TestUnstoredTokenIsLookedUpOnce checks the bound on read-through: a
// well-signed token the store does not have (revoked, or never stored) is
// refused, and looked up once however often it is presented.
func TestUnstoredTokenIsLookedUpOnce(t *testing.T) {
	url := storetest.Database(t, pg)
	a, b := newNode(t, url), newNode(t, url)
	tok, err := a.tokens.Issue("dave", token.IssueOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		if !refused(b, tok.JWT) {
			t.Fatal("b accepts a token the store does not have")
		}
	}
	if n := b.lookups.Load(); n != 1 {
		t.Errorf("b looked the token up %d times", n)
	}
	if _, err := b.tokens.Verify("kauth-not.a.jwt"); err == nil || b.lookups.Load() != 1 {
		t.Errorf("a malformed token: %v, %d lookups", err, b.lookups.Load())
	}
}

// TestFingerprintsAgree checks that the manager names tokens as the
// repository stores them.
func TestFingerprintsAgree(t *testing.T) {
	if token.Fingerprint("kauth-x.y.z") != repository.Fingerprint("kauth-x.y.z") {
		t.Error("token.Fingerprint and repository.Fingerprint differ")
	}
}
