package token

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/starlingmq/starling/internal/coherence"
	"github.com/starlingmq/starling/internal/kerror"
)

// EndReason says why a token left the registry.
type EndReason int

// The reasons a token ends.
const (
	// Expired: the token reached its expiry. Kuzzle sends the
	// connections linked to it a TokenExpired notification and ends their
	// subscriptions.
	Expired EndReason = iota + 1
	// Revoked: logout, revocation of a user's tokens, user deletion, or a
	// single-use token's use. Kuzzle ends the linked connections'
	// subscriptions without a notification.
	Revoked
	// GraceOver: a refreshed token's grace period ended. Its connections
	// were moved to the new token when it was refreshed (Kuzzle's
	// tokenManager.refresh), so there is usually nothing left to do.
	GraceOver
)

// String names the reason.
func (r EndReason) String() string {
	switch r {
	case Expired:
		return "expired"
	case Revoked:
		return "revoked"
	case GraceOver:
		return "grace over"
	case RevokedElsewhere:
		return "revoked elsewhere"
	}
	return fmt.Sprintf("EndReason(%d)", int(r))
}

// Timer is the part of *time.Timer the manager uses.
type Timer interface {
	// Stop prevents the timer from firing; see time.Timer.Stop.
	Stop() bool
}

// Options are the manager's collaborators; every field may be left zero.
type Options struct {
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// AfterFunc arms the expiry timer (time.AfterFunc when nil). Tests
	// inject one that fires on demand.
	AfterFunc func(d time.Duration, f func()) Timer
	// OnEnd is told of every token that leaves the registry, once, outside
	// the manager's lock, on the goroutine that ended it (the timer's for
	// expiries). It must not block; it may call the manager.
	OnEnd func(t Token, why EndReason)
	// Logger receives debug logs (slog.Default when nil).
	Logger *slog.Logger
	// Lookup, when set, reads a stored token by its Fingerprint: a
	// well-signed JWT missing from the registry is looked up with it and
	// registered when found (read-through, see coherence.go). It must
	// bound its own wait.
	Lookup func(fingerprint string) (t Token, found bool, err error)
}

// IssueOptions are the arguments of Manager.Issue.
type IssueOptions struct {
	// ExpiresIn is the token's lifetime: zero for the configured default,
	// Never for a token that does not expire (auth:createApiKey's default).
	ExpiresIn time.Duration
	// Type is AuthToken (when empty) or APIKey.
	Type Type
	// SingleUse makes the token end at its first verification.
	SingleUse bool
	// BypassMaxTTL skips the maxTTL check (Kuzzle's bypassMaxTTL: the
	// security:createApiKey action sets it, auth:createApiKey does not).
	BypassMaxTTL bool
}

// Manager issues, verifies, refreshes and revokes tokens and keeps the live
// ones in memory, bounded by Config.MaxTokens. It is safe for concurrent use.
type Manager struct {
	cfg       Config
	method    jwt.SigningMethod
	parser    *jwt.Parser
	now       func() time.Time
	afterFunc func(time.Duration, func()) Timer
	onEnd     func(Token, EndReason)
	log       *slog.Logger
	lookup    func(string) (Token, bool, error)
	// emit and misses serve the nodes sharing tokens (coherence.go).
	emit   coherence.Emitter
	misses lookupMisses

	mu     sync.RWMutex
	reg    *registry
	timer  Timer
	armed  time.Time // the deadline the timer fires for
	closed bool
}

// NewManager validates cfg and returns an empty manager.
func NewManager(cfg Config, opts Options) (*Manager, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	m := &Manager{
		cfg:       cfg,
		method:    jwt.GetSigningMethod(cfg.Algorithm),
		now:       opts.Now,
		afterFunc: opts.AfterFunc,
		onEnd:     opts.OnEnd,
		log:       opts.Logger,
		lookup:    opts.Lookup,
		reg:       newRegistry(),
	}
	if m.now == nil {
		m.now = time.Now
	}
	if m.afterFunc == nil {
		m.afterFunc = func(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }
	}
	if m.log == nil {
		m.log = slog.Default()
	}
	m.parser = jwt.NewParser(jwt.WithValidMethods(hmacAlgorithms), jwt.WithTimeFunc(m.now))
	return m, nil
}

// claims are the JWT's claims: Kuzzle's _id, iat and exp, plus a random
// jti so that two tokens issued to one user in the same second differ.
type claims struct {
	UserID string `json:"_id"`
	jwt.RegisteredClaims
}

// InvalidExpiresIn is the error Kuzzle answers for an expiresIn it cannot
// parse or that is zero.
func InvalidExpiresIn() *kerror.Error {
	return kerror.New("api.assert.invalid_argument", "expiresIn", "a number of milliseconds, or a parsable timespan string")
}

// Issue signs a new token for userID, registers it and returns it.
// Errors: security.token.unknown_user (empty userID),
// security.token.ttl_exceeded (over maxTTL, or Never under a maxTTL),
// api.assert.invalid_argument (a negative expiresIn other than Never),
// security.token.generation_failed (signing failed, or the registry is full).
func (m *Manager) Issue(userID string, o IssueOptions) (Token, error) {
	tok, exp, err := m.sign(userID, o)
	if err != nil {
		return Token{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.reg.len() >= m.cfg.MaxTokens {
		return Token{}, kerror.New("security.token.generation_failed",
			fmt.Sprintf("too many live tokens (%d)", m.cfg.MaxTokens))
	}
	m.reg.add(&entry{tok: tok, deadline: tok.ExpiresAt, exp: exp})
	m.rearmLocked()
	return tok, nil
}

// sign builds and signs a token without registering it.
func (m *Manager) sign(userID string, o IssueOptions) (Token, time.Time, error) {
	if userID == "" {
		return Token{}, time.Time{}, kerror.New("security.token.unknown_user")
	}
	typ, maxTTL := AuthToken, m.cfg.MaxTTL
	if o.Type == APIKey {
		typ, maxTTL = APIKey, m.cfg.APIKeyMaxTTL
	}
	ttl := o.ExpiresIn
	if ttl == 0 {
		ttl = m.cfg.ExpiresIn
	}
	if !o.BypassMaxTTL && maxTTL >= 0 && (ttl > maxTTL || ttl == Never) {
		return Token{}, time.Time{}, kerror.New("security.token.ttl_exceeded")
	}
	if ttl < 0 && ttl != Never {
		return Token{}, time.Time{}, InvalidExpiresIn()
	}
	now := m.now()
	c := claims{UserID: userID}
	c.IssuedAt = jwt.NewNumericDate(now.Truncate(time.Second))
	c.ID = nonce()
	tok := Token{UserID: userID, TTL: ttl, Type: typ, SingleUse: o.SingleUse}
	if ttl != Never {
		// jsonwebtoken's exp: iat + expiresIn rounded down to seconds.
		c.ExpiresAt = jwt.NewNumericDate(now.Truncate(time.Second).Add(ttl.Truncate(time.Second)))
		tok.ExpiresAt = now.Add(ttl)
	}
	signed, err := jwt.NewWithClaims(m.method, c).SignedString(m.cfg.Secret)
	if err != nil {
		return Token{}, time.Time{}, kerror.New("security.token.generation_failed", err.Error())
	}
	prefix := AuthPrefix
	if typ == APIKey {
		prefix = APIKeyPrefix
	}
	tok.JWT = prefix + signed
	return tok, c.jwtExpiry(), nil
}

// nonce returns 12 random bytes, base64url-encoded.
func nonce() string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// Decode checks a JWT's signature, algorithm and expiry without looking at
// the registry, and returns its user and type. Errors, as Kuzzle's
// tokenRepository.verifyToken: security.token.expired for a well-signed
// token past its exp, security.token.invalid for anything else (malformed,
// tampered, signed with another secret, alg none or not HMAC, no _id).
func (m *Manager) Decode(encoded string) (userID string, typ Type, err error) {
	c, err := m.decode(encoded)
	return c.UserID, typeOf(encoded), err
}

// decode verifies encoded and returns its claims.
func (m *Manager) decode(encoded string) (claims, error) {
	raw := strings.TrimPrefix(strings.TrimPrefix(encoded, AuthPrefix), APIKeyPrefix)
	var c claims
	_, err := m.parser.ParseWithClaims(raw, &c, func(*jwt.Token) (any, error) { return m.cfg.Secret, nil })
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return claims{}, kerror.New("security.token.expired")
	case err != nil, c.UserID == "":
		return claims{}, kerror.New("security.token.invalid")
	}
	return c, nil
}

// jwtExpiry is the exp claim as a time, zero when absent.
func (c claims) jwtExpiry() time.Time {
	if c.ExpiresAt == nil {
		return time.Time{}
	}
	return c.ExpiresAt.Time
}
