package token

import (
	"strings"
	"testing"
	"time"
)

// FuzzVerify feeds Verify arbitrary tokens: it must answer the token it
// issued, or one of Kuzzle's two token errors, and never panic.
func FuzzVerify(f *testing.F) {
	m, err := NewManager(testConfig(), Options{AfterFunc: func(time.Duration, func()) Timer { return noTimer{} }})
	if err != nil {
		f.Fatal(err)
	}
	tok, _ := m.Issue("alice", IssueOptions{})
	f.Add(tok.JWT)
	f.Add(strings.TrimPrefix(tok.JWT, AuthPrefix))
	f.Add("kapikey-" + strings.Repeat("a.", 3))
	f.Add("kauth-eyJhbGciOiJub25lIn0.eyJfaWQiOiJhIn0.")
	f.Fuzz(func(t *testing.T, s string) {
		got, err := m.Verify(s)
		switch id := errID(err); {
		case id == "" && s == "":
			if got.UserID != AnonymousUserID {
				t.Fatalf("Verify(\"\") = %+v", got)
			}
		case id == "":
			if s != tok.JWT {
				t.Fatalf("Verify(%q) accepted a token never issued", s)
			}
		case id != "security.token.invalid" && id != "security.token.expired":
			t.Fatalf("Verify(%q) = %v", s, err)
		}
	})
}

type noTimer struct{}

func (noTimer) Stop() bool { return true }

func BenchmarkVerify(b *testing.B) {
	m, _ := NewManager(testConfig(), Options{})
	defer m.Close()
	tok, _ := m.Issue("alice", IssueOptions{})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Verify(tok.JWT); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkIssue(b *testing.B) {
	cfg := testConfig()
	cfg.MaxTokens = 1 << 30
	m, _ := NewManager(cfg, Options{})
	defer m.Close()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Issue("alice", IssueOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
