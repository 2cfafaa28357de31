package token

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/starlingmq/starling/internal/kerror"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(*Config)
		wantErr string // substring, "" for valid
		algErr  bool
	}{
		{"defaults", func(*Config) {}, "", false},
		{"HS512", func(c *Config) { c.Algorithm = "HS512" }, "", false},
		{"never expires", func(c *Config) { c.ExpiresIn = Never }, "", false},
		{"RS256", func(c *Config) { c.Algorithm = "RS256" }, "needs a key pair", true},
		{"ES384", func(c *Config) { c.Algorithm = "ES384" }, "needs a key pair", true},
		{"PS512", func(c *Config) { c.Algorithm = "PS512" }, "needs a key pair", true},
		{"none", func(c *Config) { c.Algorithm = "none" }, "unsigned tokens are refused", true},
		{"unknown", func(c *Config) { c.Algorithm = "sha512" }, "unknown algorithm", true},
		{"no secret", func(c *Config) { c.Secret = nil }, "no secret", false},
		{"zero expiresIn", func(c *Config) { c.ExpiresIn = 0 }, "expiresIn", false},
		{"negative grace", func(c *Config) { c.GracePeriod = -1 }, "gracePeriod", false},
		{"no bound", func(c *Config) { c.MaxTokens = 0 }, "maxTokens", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig()
			tt.edit(&cfg)
			err := cfg.Validate()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate() = %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Validate() = %v, want it to mention %q", err, tt.wantErr)
			}
			if got := errors.Is(err, ErrAlgorithm); got != tt.algErr {
				t.Fatalf("errors.Is(ErrAlgorithm) = %v, want %v", got, tt.algErr)
			}
		})
	}
}

func TestDefaultConfigIsKuzzles(t *testing.T) {
	c := DefaultConfig()
	if c.Algorithm != "HS256" || c.ExpiresIn != time.Hour || c.MaxTTL != -1 ||
		c.APIKeyMaxTTL != -1 || c.GracePeriod != time.Second {
		t.Fatalf("DefaultConfig() = %+v", c)
	}
}

func TestIssueAndVerify(t *testing.T) {
	m, clock, _ := newTestManager(t, testConfig())
	now := clock.Now()
	tok, err := m.Issue("alice", IssueOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tok.JWT, AuthPrefix) || tok.UserID != "alice" || tok.TTL != time.Hour ||
		!tok.ExpiresAt.Equal(now.Add(time.Hour)) || tok.Type != AuthToken || tok.Refreshed || tok.SingleUse {
		t.Fatalf("Issue() = %+v", tok)
	}
	if tok.TTLMillis() != 3_600_000 || tok.ExpiresAtMillis() != now.Add(time.Hour).UnixMilli() {
		t.Fatalf("wire values %d %d", tok.TTLMillis(), tok.ExpiresAtMillis())
	}
	if tok.ID() != "alice#"+tok.JWT {
		t.Fatalf("ID() = %q", tok.ID())
	}
	// The claims are Kuzzle's: _id, iat and exp in whole seconds.
	var c jwt.MapClaims
	if _, _, err := jwt.NewParser().ParseUnverified(strings.TrimPrefix(tok.JWT, AuthPrefix), &c); err != nil {
		t.Fatal(err)
	}
	iat := now.Truncate(time.Second).Unix()
	if c["_id"] != "alice" || c["iat"] != float64(iat) || c["exp"] != float64(iat+3600) {
		t.Fatalf("claims = %v", c)
	}
	got, err := m.Verify(tok.JWT)
	if err != nil || got != tok {
		t.Fatalf("Verify() = %+v, %v; want %+v", got, err, tok)
	}
	other, _ := m.Issue("alice", IssueOptions{})
	if other.JWT == tok.JWT {
		t.Fatal("two tokens issued in the same second are the same string")
	}
}

func TestVerifyAnonymous(t *testing.T) {
	m, _, _ := newTestManager(t, testConfig())
	got, err := m.Verify("")
	if err != nil || got.UserID != AnonymousUserID {
		t.Fatalf("Verify(\"\") = %+v, %v", got, err)
	}
}

func TestExpiry(t *testing.T) {
	m, clock, ends := newTestManager(t, testConfig())
	short, _ := m.Issue("bob", IssueOptions{ExpiresIn: 10 * time.Second})
	long, _ := m.Issue("carol", IssueOptions{})
	if n := clock.armed(); n != 1 {
		t.Fatalf("%d timers armed, want one", n)
	}
	clock.Advance(9 * time.Second)
	if got := ends.take(); got != nil {
		t.Fatalf("ended early: %v", got)
	}
	// The JWT's exp is in whole seconds (iat 05 + 10 = 15) while the
	// token's expiresAt is 15.250: in between, the JWT has expired.
	clock.Advance(800 * time.Millisecond)
	if _, err := m.Verify(short.JWT); errID(err) != "security.token.expired" {
		t.Fatalf("Verify() past exp, before expiresAt = %v", err)
	}
	clock.Advance(200 * time.Millisecond)
	if got := ends.take(); !slices.Equal(got, []string{"bob expired"}) {
		t.Fatalf("ends = %v", got)
	}
	if _, err := m.Verify(short.JWT); errID(err) != "security.token.expired" {
		t.Fatalf("Verify(expired) = %v", err)
	}
	if _, err := m.Verify(long.JWT); err != nil {
		t.Fatalf("Verify(live) = %v", err)
	}
	if m.Len() != 1 || clock.armed() != 1 {
		t.Fatalf("Len() = %d, armed = %d", m.Len(), clock.armed())
	}
	clock.Advance(time.Hour)
	if got := ends.take(); !slices.Equal(got, []string{"carol expired"}) {
		t.Fatalf("ends = %v", got)
	}
	if m.Len() != 0 || clock.armed() != 0 {
		t.Fatalf("Len() = %d, armed = %d", m.Len(), clock.armed())
	}
}

func TestMaxTTL(t *testing.T) {
	tests := []struct {
		name string
		opts IssueOptions
		want string
	}{
		{"under", IssueOptions{ExpiresIn: 30 * time.Minute}, ""},
		{"equal", IssueOptions{ExpiresIn: time.Hour}, ""},
		{"over", IssueOptions{ExpiresIn: time.Hour + time.Millisecond}, "security.token.ttl_exceeded"},
		{"never", IssueOptions{ExpiresIn: Never}, "security.token.ttl_exceeded"},
		{"default over", IssueOptions{}, "security.token.ttl_exceeded"},
		{"bypass", IssueOptions{ExpiresIn: Never, BypassMaxTTL: true}, ""},
		{"api key has its own", IssueOptions{ExpiresIn: 3 * time.Hour, Type: APIKey}, ""},
		{"api key over its own", IssueOptions{ExpiresIn: Never, Type: APIKey}, "security.token.ttl_exceeded"},
		{"negative", IssueOptions{ExpiresIn: -2 * time.Second}, "api.assert.invalid_argument"},
	}
	cfg := testConfig()
	cfg.ExpiresIn, cfg.MaxTTL, cfg.APIKeyMaxTTL = 2*time.Hour, time.Hour, 24*time.Hour
	m, _, _ := newTestManager(t, cfg)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := m.Issue("alice", tt.opts)
			if errID(err) != tt.want {
				t.Fatalf("Issue() error = %v, want %q", err, tt.want)
			}
		})
	}
	if _, err := m.Issue("", IssueOptions{}); errID(err) != "security.token.unknown_user" {
		t.Fatalf("Issue(\"\") = %v", err)
	}
}

func TestRefreshGracePeriod(t *testing.T) {
	m, clock, ends := newTestManager(t, testConfig())
	old, _ := m.Issue("alice", IssueOptions{})
	clock.Advance(time.Minute)
	fresh, err := m.Refresh(old.JWT, 2*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if fresh.UserID != "alice" || fresh.TTL != 2*time.Hour || fresh.JWT == old.JWT {
		t.Fatalf("Refresh() = %+v", fresh)
	}
	got, err := m.Verify(old.JWT)
	if err != nil || !got.Refreshed {
		t.Fatalf("Verify(old) during grace = %+v, %v", got, err)
	}
	if _, err := m.Refresh(old.JWT, 0); errID(err) != "security.token.invalid" {
		t.Fatalf("second Refresh(old) = %v", err)
	}
	clock.Advance(999 * time.Millisecond)
	if _, err := m.Verify(old.JWT); err != nil {
		t.Fatalf("Verify(old) at the end of grace = %v", err)
	}
	clock.Advance(time.Millisecond)
	if got := ends.take(); !slices.Equal(got, []string{"alice grace over"}) {
		t.Fatalf("ends = %v", got)
	}
	if _, err := m.Verify(old.JWT); errID(err) != "security.token.invalid" {
		t.Fatalf("Verify(old) after grace = %v", err)
	}
	if _, err := m.Verify(fresh.JWT); err != nil {
		t.Fatalf("Verify(fresh) = %v", err)
	}
}

func TestRefreshForbidden(t *testing.T) {
	m, _, _ := newTestManager(t, testConfig())
	key, _ := m.Issue("alice", IssueOptions{Type: APIKey, ExpiresIn: Never})
	forever, _ := m.Issue("alice", IssueOptions{ExpiresIn: Never})
	tests := []struct {
		name, jwt, id, msg string
	}{
		{"api key", key.JWT, "security.token.refresh_forbidden", "API Key cannot be refreshed."},
		{"infinite", forever.JWT, "security.token.refresh_forbidden", "Token with infinite TTL cannot be refreshed."},
		{"unknown", "kauth-nope", "security.token.invalid", "Invalid token."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := m.Refresh(tt.jwt, 0)
			var ke *kerror.Error
			if !errors.As(err, &ke) || ke.ID != tt.id || ke.Message != tt.msg {
				t.Fatalf("Refresh() = %v, want %s %q", err, tt.id, tt.msg)
			}
		})
	}
}

func TestRevoke(t *testing.T) {
	m, clock, ends := newTestManager(t, testConfig())
	a1, _ := m.Issue("alice", IssueOptions{})
	a2, _ := m.Issue("alice", IssueOptions{ExpiresIn: time.Minute})
	key, _ := m.Issue("alice", IssueOptions{Type: APIKey, ExpiresIn: Never})
	b, _ := m.Issue("bob", IssueOptions{})

	if got, ok := m.Revoke(a1.JWT); !ok || got.JWT != a1.JWT {
		t.Fatalf("Revoke() = %+v, %v", got, ok)
	}
	if _, ok := m.Revoke(a1.JWT); ok {
		t.Fatal("second Revoke() reported a live token")
	}
	if _, err := m.Verify(a1.JWT); errID(err) != "security.token.invalid" {
		t.Fatalf("Verify(revoked) = %v", err)
	}
	if got := ends.take(); !slices.Equal(got, []string{"alice revoked"}) {
		t.Fatalf("ends = %v", got)
	}

	gone := m.RevokeUser("alice", true)
	if len(gone) != 1 || gone[0].JWT != a2.JWT {
		t.Fatalf("RevokeUser(keep API keys) = %+v", gone)
	}
	if _, err := m.Verify(key.JWT); err != nil {
		t.Fatalf("API key after global logout: %v", err)
	}
	if gone := m.RevokeUser("alice", false); len(gone) != 1 || gone[0].JWT != key.JWT {
		t.Fatalf("RevokeUser(all) = %+v", gone)
	}
	if got := ends.take(); !slices.Equal(got, []string{"alice revoked", "alice revoked"}) {
		t.Fatalf("ends = %v", got)
	}
	if _, err := m.Verify(b.JWT); err != nil || m.Len() != 1 {
		t.Fatalf("bob's token: %v, Len() = %d", err, m.Len())
	}
	clock.Advance(time.Minute) // a2's deadline: nothing left to end
	if got := ends.take(); got != nil {
		t.Fatalf("ends after revocation = %v", got)
	}
}
