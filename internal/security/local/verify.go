package local

import (
	"context"
	"errors"
	"fmt"

	"github.com/starlingmq/starling/internal/kerror"
	"github.com/starlingmq/starling/internal/security/password"
	"github.com/starlingmq/starling/internal/store"
)

// Verify checks a login (auth:login with the local strategy) and returns
// the user's kuid. An unknown username and a wrong password both answer
// plugin.strategy.missing_user "wrong username or password", and both cost
// one hash verification, so that neither the answer nor its delay tells
// which usernames exist. A right password then goes through the policies'
// login checks: an expired password or one an administrator set answers
// the plugin's *password.PolicyError.
//
// A hash made with other parameters than the hasher's is replaced by a new
// one, quietly as the plugin does when its algorithm changed; the password
// keeps its date, updater and history.
func (s *Strategy) Verify(ctx context.Context, username, pw string) (string, error) {
	r, err := s.byUsername(ctx, username)
	if err != nil {
		return "", err
	}
	if r == nil {
		// Spend the time a known username would, and fail as it would
		// when too many logins wait.
		if errors.Is(s.decoy(pw), password.ErrBusy) {
			return "", kerror.New("api.process.overloaded")
		}
		return "", wrongCredentials()
	}
	ok, err := s.verifyHash(pw, r.Password)
	if errors.Is(err, password.ErrBusy) {
		return "", kerror.New("api.process.overloaded")
	}
	if err != nil {
		return "", fmt.Errorf("local strategy: password of %q: %w", username, err)
	}
	if !ok {
		return "", wrongCredentials()
	}
	subject, err := s.subjectOf(ctx, r.Kuid)
	if err != nil {
		return "", err
	}
	if err := s.policies.CheckLogin(subject, millis(r.ChangedAt), r.Updater, s.now()); err != nil {
		return "", err
	}
	if s.hasher.NeedsRehash(r.Password) {
		s.rehash(ctx, r.Kuid, pw)
	}
	return r.Kuid, nil
}

// rehash stores a new hash of pw for kuid, unless the credentials changed
// meanwhile. Failures are ignored: the old hash still verifies.
func (s *Strategy) rehash(ctx context.Context, kuid, pw string) {
	hash, err := s.hasher.Hash(pw)
	if err != nil {
		return
	}
	s.writes.Lock()
	defer s.writes.Unlock()
	r, err := s.byKuid(ctx, kuid)
	if err != nil || r == nil || !s.hasher.NeedsRehash(r.Password) {
		return
	}
	if ok, err := s.verifyHash(pw, r.Password); err != nil || !ok {
		return
	}
	r.Password = hash
	_ = s.put(ctx, store.OpReplace, r, r.Updater)
}

// PasswordRequiredCheck is the plugin's passwordRequiredCheck, which the
// caller runs before an update or a deletion of one's own credentials
// (auth controller) when the configuration requires the current password:
// an empty current password answers api.assert.missing_argument "Cannot
// update credentials: password required.", a wrong one (or a user without
// credentials, after the same hash verification)
// security.rights.forbidden "Invalid user or password.".
func (s *Strategy) PasswordRequiredCheck(ctx context.Context, kuid, current string) error {
	if current == "" {
		return currentPasswordRequired()
	}
	r, err := s.byKuid(ctx, kuid)
	if err != nil {
		return err
	}
	if r == nil {
		s.decoy(current)
		return invalidCurrentPassword()
	}
	ok, err := s.verifyHash(current, r.Password)
	if err != nil {
		return fmt.Errorf("local strategy: password of %q: %w", kuid, err)
	}
	if !ok {
		return invalidCurrentPassword()
	}
	return nil
}

// hash hashes a new password; too many hashes at once answer that the
// server is overloaded.
func (s *Strategy) hash(pw string) (string, error) {
	h, err := s.hasher.Hash(pw)
	if errors.Is(err, password.ErrBusy) {
		return "", kerror.New("api.process.overloaded")
	}
	if err != nil {
		return "", fmt.Errorf("local strategy: %w", err)
	}
	return h, nil
}
