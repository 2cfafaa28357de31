package token

import (
	"encoding/base64"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// b64 encodes a JWT segment.
func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func TestVerifyRejects(t *testing.T) {
	m, clock, _ := newTestManager(t, testConfig())
	tok, _ := m.Issue("alice", IssueOptions{ExpiresIn: time.Minute})
	raw := strings.TrimPrefix(tok.JWT, AuthPrefix)
	parts := strings.Split(raw, ".")
	exp := clock.Now().Add(time.Hour).Unix()
	payload := b64(`{"_id":"alice","exp":` + strconv.FormatInt(exp, 10) + `}`)

	foreign := func(alg jwt.SigningMethod, c jwt.MapClaims, key any) string {
		s, err := jwt.NewWithClaims(alg, c).SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return AuthPrefix + s
	}
	expiredForeign := foreign(jwt.SigningMethodHS256, jwt.MapClaims{"_id": "alice", "exp": clock.Now().Add(-time.Hour).Unix()}, []byte("another secret"))
	tests := []struct {
		name, jwt, want string
	}{
		{"garbage", "kauth-garbage", "security.token.invalid"},
		{"no prefix, same JWT", raw, "security.token.invalid"},
		{"tampered payload", AuthPrefix + parts[0] + "." + payload + "." + parts[2], "security.token.invalid"},
		{"tampered signature", AuthPrefix + parts[0] + "." + parts[1] + "." + b64("nope"), "security.token.invalid"},
		{"foreign secret", foreign(jwt.SigningMethodHS256, jwt.MapClaims{"_id": "alice", "exp": exp}, []byte("another secret")), "security.token.invalid"},
		{"foreign secret, expired", expiredForeign, "security.token.invalid"},
		{"alg none", AuthPrefix + b64(`{"alg":"none","typ":"JWT"}`) + "." + payload + ".", "security.token.invalid"},
		{"alg RS256 header", AuthPrefix + b64(`{"alg":"RS256","typ":"JWT"}`) + "." + parts[1] + "." + parts[2], "security.token.invalid"},
		{"no _id", foreign(jwt.SigningMethodHS256, jwt.MapClaims{"exp": exp}, testSecret), "security.token.invalid"},
		{"well signed, never issued", foreign(jwt.SigningMethodHS512, jwt.MapClaims{"_id": "alice", "exp": exp}, testSecret), "security.token.invalid"},
		{"not yet valid", foreign(jwt.SigningMethodHS256, jwt.MapClaims{"_id": "alice", "nbf": exp}, testSecret), "security.token.invalid"},
		{"well signed, expired", foreign(jwt.SigningMethodHS256, jwt.MapClaims{"_id": "alice", "exp": clock.Now().Add(-time.Second).Unix()}, testSecret), "security.token.expired"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := m.Verify(tt.jwt); errID(err) != tt.want {
				t.Fatalf("Verify() = %v, want %s", err, tt.want)
			}
		})
	}
	if _, err := m.Verify(tok.JWT); err != nil {
		t.Fatalf("the real token: %v", err)
	}
}

func TestAPIKeyNeverExpires(t *testing.T) {
	m, clock, ends := newTestManager(t, testConfig())
	key, err := m.Issue("alice", IssueOptions{Type: APIKey, ExpiresIn: Never})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(key.JWT, APIKeyPrefix) || key.Type != APIKey || !key.ExpiresAt.IsZero() ||
		key.TTLMillis() != -1 || key.ExpiresAtMillis() != -1 {
		t.Fatalf("Issue(API key) = %+v", key)
	}
	var c jwt.MapClaims
	if _, _, err := jwt.NewParser().ParseUnverified(strings.TrimPrefix(key.JWT, APIKeyPrefix), &c); err != nil {
		t.Fatal(err)
	}
	if _, ok := c["exp"]; ok {
		t.Fatalf("a never-expiring token carries exp: %v", c)
	}
	if clock.armed() != 0 {
		t.Fatal("a timer is armed for a token that never expires")
	}
	clock.Advance(10 * 365 * 24 * time.Hour)
	if got, err := m.Verify(key.JWT); err != nil || got != key {
		t.Fatalf("Verify() ten years on = %+v, %v", got, err)
	}
	if got := ends.take(); got != nil {
		t.Fatalf("ends = %v", got)
	}
}

func TestRegister(t *testing.T) {
	m, clock, ends := newTestManager(t, testConfig())
	key, _ := m.Issue("alice", IssueOptions{Type: APIKey, ExpiresIn: time.Hour})
	m.Revoke(key.JWT)
	ends.take()
	// A node restarting loads the key from its store.
	if err := m.Register(key); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Verify(key.JWT); err != nil {
		t.Fatalf("Verify(registered) = %v", err)
	}
	wrong := key
	wrong.UserID = "bob"
	if err := m.Register(wrong); errID(err) != "security.token.invalid" {
		t.Fatalf("Register(wrong user) = %v", err)
	}
	if err := m.Register(Token{JWT: "kapikey-x", UserID: "alice"}); errID(err) != "security.token.invalid" {
		t.Fatalf("Register(garbage) = %v", err)
	}
	clock.Advance(time.Hour)
	if got := ends.take(); len(got) != 1 || got[0] != "alice expired" {
		t.Fatalf("ends = %v", got)
	}
}

func TestSingleUse(t *testing.T) {
	m, _, ends := newTestManager(t, testConfig())
	tok, _ := m.Issue("alice", IssueOptions{SingleUse: true})
	if got, err := m.Verify(tok.JWT); err != nil || !got.SingleUse {
		t.Fatalf("first Verify() = %+v, %v", got, err)
	}
	if _, err := m.Verify(tok.JWT); errID(err) != "security.token.invalid" {
		t.Fatalf("second Verify() = %v", err)
	}
	if got := ends.take(); len(got) != 1 || got[0] != "alice revoked" {
		t.Fatalf("ends = %v", got)
	}
}

func TestRegistryBound(t *testing.T) {
	cfg := testConfig()
	cfg.MaxTokens = 2
	m, _, _ := newTestManager(t, cfg)
	first, _ := m.Issue("a", IssueOptions{})
	m.Issue("b", IssueOptions{})
	if _, err := m.Issue("c", IssueOptions{}); errID(err) != "security.token.generation_failed" {
		t.Fatalf("Issue() past the bound = %v", err)
	}
	m.Revoke(first.JWT)
	if _, err := m.Issue("c", IssueOptions{}); err != nil {
		t.Fatalf("Issue() after a revocation = %v", err)
	}
}

func TestParseTimespan(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"1h", time.Hour, true},
		{"2 days", 48 * time.Hour, true},
		{"500", 500 * time.Millisecond, true},
		{"1.5s", 1500 * time.Millisecond, true},
		{"10M", 10 * time.Minute, true},
		{"1y", time.Duration(365.25 * 24 * float64(time.Hour)), true},
		{"-1", Never, true},
		{"0", 0, false},
		{"", 0, false},
		{"soon", 0, false},
		{"1 fortnight", 0, false},
	}
	for _, tt := range tests {
		got, ok := ParseTimespan(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseTimespan(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestGenerateSecret(t *testing.T) {
	a, err := GenerateSecret()
	if err != nil || len(a) != SecretSize {
		t.Fatalf("GenerateSecret() = %d bytes, %v", len(a), err)
	}
	b, _ := GenerateSecret()
	if string(a) == string(b) {
		t.Fatal("two secrets are equal")
	}
}

func TestConcurrentUse(t *testing.T) {
	m, err := NewManager(testConfig(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			user := string(rune('a' + g))
			for range 50 {
				tok, err := m.Issue(user, IssueOptions{ExpiresIn: time.Hour})
				if err != nil {
					t.Error(err)
					return
				}
				if _, err := m.Verify(tok.JWT); err != nil {
					t.Error(err)
				}
				if _, err := m.Refresh(tok.JWT, 0); err != nil {
					t.Error(err)
				}
				m.Revoke(tok.JWT)
			}
			m.RevokeUser(user, false)
		}()
	}
	wg.Wait()
	if m.Len() != 0 {
		t.Fatalf("Len() = %d after every user's revocation", m.Len())
	}
}
