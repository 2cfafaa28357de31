package token

import (
	"time"

	"github.com/starlingmq/starling/internal/coherence"
	"github.com/starlingmq/starling/internal/kerror"
)

// ended is a token that left the registry and the reason, to be told to
// OnEnd once the lock is released.
type ended struct {
	tok Token
	why EndReason
}

// Verify checks a token as Kuzzle's tokenRepository.verifyToken does and
// returns it. An empty string is the anonymous user's token
// (UserID AnonymousUserID). Besides Decode's errors, a well-signed token
// that is not live (revoked, refreshed past its grace period, never issued
// or registered here) is security.token.invalid. A single-use token ends
// (Revoked) as it is returned.
func (m *Manager) Verify(encoded string) (Token, error) {
	if encoded == "" {
		return Token{UserID: AnonymousUserID, Type: AuthToken}, nil
	}
	if tok, live, err := m.verifyLive(encoded); live {
		return tok, err
	}
	// Not live: Decode tells a forged or expired token from a revoked one.
	if _, _, err := m.Decode(encoded); err != nil {
		return Token{}, err
	}
	// Well-signed: another node may have issued it (coherence.go).
	if m.readThrough(encoded) {
		if tok, live, err := m.verifyLive(encoded); live {
			return tok, err
		}
	}
	return Token{}, kerror.New("security.token.invalid")
}

// verifyLive is Verify for a token in the registry; live is false when it
// is not there. A single-use token used is emitted as revoked.
func (m *Manager) verifyLive(encoded string) (Token, bool, error) {
	tok, live, gone, err := m.check(encoded)
	m.notify(gone)
	for _, g := range gone {
		if g.why == Revoked {
			m.emitRevoked(g.tok.JWT)
		}
	}
	return tok, live, err
}

// check verifies a live token against the clock; live is false when
// encoded is not in the registry. A registered JWT's signature was checked
// when it entered, so only its exp is compared here.
func (m *Manager) check(encoded string) (tok Token, live bool, gone []ended, err error) {
	if tok, ok := m.checkShared(encoded); ok {
		return tok, true, nil, nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.reg.byJWT[encoded]
	if !ok {
		return Token{}, false, nil, nil
	}
	now := m.now()
	// The JWT's exp comes first, as jsonwebtoken.verify checks it first.
	if !e.exp.IsZero() && !now.Before(e.exp) {
		return Token{}, true, nil, kerror.New("security.token.expired")
	}
	if !e.deadline.IsZero() && !e.deadline.After(now) {
		m.reg.remove(e)
		m.rearmLocked()
		return Token{}, true, []ended{{e.tok, reasonAtDeadline(e)}}, kerror.New("security.token.invalid")
	}
	if e.tok.SingleUse {
		m.reg.remove(e)
		m.rearmLocked()
		gone = []ended{{e.tok, Revoked}}
	}
	return e.tok, true, gone, nil
}

// checkShared is check's path for a live token that stays registered, under
// the read lock, so that the requests of many connections verify their
// tokens side by side; ok is false when check must decide under the lock.
func (m *Manager) checkShared(encoded string) (Token, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	e, ok := m.reg.byJWT[encoded]
	if !ok || e.tok.SingleUse {
		return Token{}, false
	}
	now := m.now()
	if (!e.exp.IsZero() && !now.Before(e.exp)) || (!e.deadline.IsZero() && !e.deadline.After(now)) {
		return Token{}, false
	}
	return e.tok, true
}

// Register adds a token issued elsewhere (an API key loaded from the store,
// a token issued by another node) after checking its JWT: Decode's errors,
// security.token.invalid when the JWT's user or type differs from t's,
// security.token.generation_failed when the registry is full. Its ExpiresAt
// wins over the JWT's exp; a token registered again replaces the previous
// entry.
func (m *Manager) Register(t Token) error {
	c, err := m.decode(t.JWT)
	if err != nil {
		return err
	}
	typ := typeOf(t.JWT)
	if c.UserID != t.UserID || (t.Type != "" && typ != t.Type) {
		return kerror.New("security.token.invalid")
	}
	t.Type = typ
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.reg.byJWT[t.JWT]; !ok && m.reg.len() >= m.cfg.MaxTokens {
		return kerror.New("security.token.generation_failed", "too many live tokens")
	}
	m.reg.add(&entry{tok: t, deadline: t.ExpiresAt, exp: c.jwtExpiry()})
	m.rearmLocked()
	return nil
}

// Revoke ends one token (auth:logout, the deletion of an API key) and
// reports whether it was live here; other nodes are told in any case.
func (m *Manager) Revoke(encoded string) (Token, bool) {
	m.mu.Lock()
	e, ok := m.reg.byJWT[encoded]
	if ok {
		m.reg.remove(e)
		m.rearmLocked()
	}
	m.mu.Unlock()
	m.emitRevoked(encoded)
	if !ok {
		return Token{}, false
	}
	m.notify([]ended{{e.tok, Revoked}})
	return e.tok, true
}

// RevokeUser ends every token of a user and returns them: auth:logout with
// global (keepAPIKeys true), security:revokeTokens and user deletion.
func (m *Manager) RevokeUser(userID string, keepAPIKeys bool) []Token {
	out := m.revokeUser(userID, keepAPIKeys, Revoked)
	c := coherence.Change{Kind: coherence.UserTokensRevoked, Key: userID}
	if keepAPIKeys {
		c.Sub = coherence.KeepAPIKeys
	}
	m.emit.Emit(c)
	return out
}

// revokeUser is RevokeUser, telling OnEnd why and nobody else.
func (m *Manager) revokeUser(userID string, keepAPIKeys bool, why EndReason) []Token {
	var gone []ended
	m.mu.Lock()
	for _, e := range m.reg.userEntries(userID) {
		if keepAPIKeys && e.tok.Type == APIKey {
			continue
		}
		m.reg.remove(e)
		gone = append(gone, ended{e.tok, why})
	}
	m.rearmLocked()
	m.mu.Unlock()
	m.notify(gone)
	out := make([]Token, len(gone))
	for i, g := range gone {
		out[i] = g.tok
	}
	return out
}

// Refresh issues a new token for the owner of a live token (auth:
// refreshToken) and marks the old one refreshed: it stays valid for the
// grace period (or until its own expiry, if sooner) and cannot be refreshed
// again. expiresIn is as in IssueOptions. Errors: security.token.invalid
// (not live, or already refreshed), security.token.refresh_forbidden ("API
// Key" or "Token with infinite TTL"), and Issue's errors.
func (m *Manager) Refresh(encoded string, expiresIn time.Duration) (Token, error) {
	m.mu.Lock()
	e, ok := m.reg.byJWT[encoded]
	var old Token
	if ok {
		old = e.tok
	}
	m.mu.Unlock()
	switch {
	case !ok || old.Refreshed:
		return Token{}, kerror.New("security.token.invalid")
	case old.Type == APIKey:
		return Token{}, kerror.New("security.token.refresh_forbidden", "API Key")
	case old.TTL < 0:
		return Token{}, kerror.New("security.token.refresh_forbidden", "Token with infinite TTL")
	}
	fresh, err := m.Issue(old.UserID, IssueOptions{ExpiresIn: expiresIn})
	if err != nil {
		return Token{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	// Marked only once the new token exists, as Kuzzle does; the entry may
	// have been revoked meanwhile, and then there is nothing to mark.
	if e, ok := m.reg.byJWT[encoded]; ok {
		if e.tok.Refreshed { // a concurrent refresh won: only one new token
			if f, ok := m.reg.byJWT[fresh.JWT]; ok {
				m.reg.remove(f)
				m.rearmLocked()
			}
			return Token{}, kerror.New("security.token.invalid")
		}
		e.tok.Refreshed = true
		end := m.now().Add(m.cfg.GracePeriod)
		if e.deadline.IsZero() || end.Before(e.deadline) {
			m.reg.setDeadline(e, end)
		}
		m.rearmLocked()
	}
	return fresh, nil
}

// Current returns the live token registered for encoded, with ExpiresAt
// the moment it stops being valid: its expiry, or the end of its grace
// period once refreshed, whichever comes first.
func (m *Manager) Current(encoded string) (Token, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	e, ok := m.reg.byJWT[encoded]
	if !ok {
		return Token{}, false
	}
	t := e.tok
	if !e.deadline.IsZero() && (t.ExpiresAt.IsZero() || e.deadline.Before(t.ExpiresAt)) {
		t.ExpiresAt = e.deadline
	}
	return t, true
}

// Sweep ends the tokens whose time has come. The expiry timer calls it;
// calling it by hand is harmless.
func (m *Manager) Sweep() {
	m.mu.Lock()
	due := m.reg.popDue(m.now())
	m.armed = time.Time{}
	m.rearmLocked()
	m.mu.Unlock()
	gone := make([]ended, len(due))
	for i, e := range due {
		gone[i] = ended{e.tok, reasonAtDeadline(e)}
	}
	if len(gone) > 0 {
		m.log.Debug("tokens ended", "count", len(gone))
	}
	m.notify(gone)
}

// Len is the number of live tokens.
func (m *Manager) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.reg.len()
}

// Close stops the expiry timer; tokens then end only through Sweep.
func (m *Manager) Close() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	if m.timer != nil {
		m.timer.Stop()
		m.timer = nil
	}
}

// rearmLocked points the one timer at the soonest deadline.
func (m *Manager) rearmLocked() {
	if m.closed {
		return
	}
	next, ok := m.reg.next()
	if m.timer != nil && ok && next.Equal(m.armed) {
		return
	}
	if m.timer != nil {
		m.timer.Stop()
		m.timer = nil
	}
	m.armed = time.Time{}
	if !ok {
		return
	}
	m.armed = next
	m.timer = m.afterFunc(max(next.Sub(m.now()), 0), m.Sweep)
}

// notify tells OnEnd of the ended tokens.
func (m *Manager) notify(gone []ended) {
	if m.onEnd == nil {
		return
	}
	for _, g := range gone {
		m.onEnd(g.tok, g.why)
	}
}

// reasonAtDeadline is why an entry ends when its deadline passes.
func reasonAtDeadline(e *entry) EndReason {
	if e.tok.Refreshed {
		return GraceOver
	}
	return Expired
}
