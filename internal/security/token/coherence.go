package token

import (
	"crypto/sha256"
	"encoding/hex"
	"sync"
	"time"

	"github.com/starlingmq/starling/internal/coherence"
)

// Managers of several nodes may share their tokens through one store,
// which keeps every live token (the caller stores them; Options.Lookup
// reads them). Each manager keeps its own registry in memory; three things
// keep the registries in line:
//
//   - a revocation made here (Revoke, RevokeUser, a single-use token used)
//     is emitted as a coherence.TokenRevoked or UserTokensRevoked change,
//     and Changed emits coherence.TokenChanged for a token whose stored
//     state changed (its deadline after a refresh);
//   - Apply performs another node's revocation here (OnEnd is told with
//     RevokedElsewhere: the store was already updated), or forgets a
//     changed token so that its next use reads it again;
//   - read-through: a well-signed JWT that is not in the registry is looked
//     up with Options.Lookup before it is refused, and registered when the
//     store has it. A login on one node is therefore accepted on every node
//     at once; a revocation takes effect on other nodes within one
//     broadcast (the store forgets the token at once, so a node that never
//     held it refuses it at once).
//
// Read-through costs one read of the store, only for JWTs whose signature
// and expiry were checked (forging one needs the secret). A fingerprint
// found missing (a revoked token replayed) is remembered for
// lookupMissTTL, at most maxLookupMisses of them, so that replaying it
// costs nothing more; tokens are stored before they are handed out, so a
// token missing from the store does not appear in it later.

// Bounds of the negative cache of read-through.
const (
	lookupMissTTL   = 10 * time.Second
	maxLookupMisses = 4096
)

// RevokedElsewhere: another node revoked the token (Apply). It ends as a
// revoked token does, but the store was already updated by that node.
const RevokedElsewhere EndReason = 100

// Fingerprint is the SHA-256 of a JWT, in hex: what changes name tokens
// by, the same as the stored tokens' _id.
func Fingerprint(jwt string) string {
	sum := sha256.Sum256([]byte(jwt))
	return hex.EncodeToString(sum[:])
}

// SetEmitter makes send receive the manager's revocations (nil: nothing
// is sent); send must return at once.
func (m *Manager) SetEmitter(send func(coherence.Change)) { m.emit.Set(send) }

// Changed tells other nodes that the stored state of a token changed (the
// caller stored it again), so that they read it again.
func (m *Manager) Changed(encoded string) {
	m.emit.Emit(coherence.Change{Kind: coherence.TokenChanged, Key: Fingerprint(encoded)})
}

// Apply performs a change another node made: a token revoked, every token
// of a user revoked, a token changed. Changes of other kinds are ignored.
// Nothing is emitted.
func (m *Manager) Apply(c coherence.Change) {
	switch c.Kind {
	case coherence.TokenRevoked, coherence.TokenChanged:
		m.mu.Lock()
		e, ok := m.reg.byPrint[c.Key]
		if ok {
			m.reg.remove(e)
			m.rearmLocked()
		}
		m.mu.Unlock()
		if ok && c.Kind == coherence.TokenRevoked {
			m.notify([]ended{{e.tok, RevokedElsewhere}})
		}
	case coherence.UserTokensRevoked:
		m.revokeUser(c.Key, c.Sub == coherence.KeepAPIKeys, RevokedElsewhere)
	}
}

// emitRevoked tells other nodes that a token was revoked here.
func (m *Manager) emitRevoked(jwt string) {
	m.emit.Emit(coherence.Change{Kind: coherence.TokenRevoked, Key: Fingerprint(jwt)})
}

// readThrough looks a well-signed JWT missing from the registry up with
// Options.Lookup and registers it; it reports whether it did.
func (m *Manager) readThrough(encoded string) bool {
	if m.lookup == nil {
		return false
	}
	fp := Fingerprint(encoded)
	if m.misses.recent(fp) {
		return false
	}
	t, found, err := m.lookup(fp)
	switch {
	case err != nil:
		m.log.Warn("a token could not be looked up in the store", "error", err)
		return false
	case !found || t.JWT != encoded:
		m.misses.note(fp)
		return false
	}
	if err := m.Register(t); err != nil {
		m.log.Debug("a stored token was not registered", "user", t.UserID, "error", err)
		return false
	}
	return true
}

// lookupMisses remembers the fingerprints read-through did not find.
type lookupMisses struct {
	mu sync.Mutex
	m  map[string]time.Time
}

// recent reports whether fp was not found less than lookupMissTTL ago.
func (c *lookupMisses) recent(fp string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	at, ok := c.m[fp]
	return ok && time.Since(at) < lookupMissTTL
}

// note remembers that fp was not found now; past maxLookupMisses, the
// expired ones and then arbitrary ones make room.
func (c *lookupMisses) note(fp string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]time.Time{}
	}
	for k, at := range c.m {
		if len(c.m) < maxLookupMisses {
			break
		}
		if time.Since(at) >= lookupMissTTL || len(c.m) >= maxLookupMisses {
			delete(c.m, k)
		}
	}
	c.m[fp] = time.Now()
}
