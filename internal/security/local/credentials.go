package local

import (
	"context"
	"fmt"
	"time"

	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/security/password"
	"github.com/starlingmq/starling/internal/store"
)

// credentials is a request's credentials body.
type credentials struct {
	Username string
	Password string
	// HasKuid is set when the body carries a kuid, which the plugin
	// refuses.
	HasKuid bool
}

// parseCredentials reads a credentials body: a JSON object whose username
// and password, when present, are strings; other keys are ignored.
func parseCredentials(raw jsonx.RawMessage) (credentials, error) {
	var obj map[string]any
	if err := jsonx.Unmarshal(raw, &obj); err != nil || obj == nil {
		return credentials{}, invalidCredentialsBody()
	}
	var c credentials
	fields := []struct {
		name string
		dst  *string
	}{{"username", &c.Username}, {"password", &c.Password}}
	for _, f := range fields {
		switch v := obj[f.name].(type) {
		case nil:
		case string:
			*f.dst = v
		default:
			return credentials{}, notAString(f.name)
		}
	}
	// The plugin tests credentials.kuid for truthiness.
	switch v := obj["kuid"].(type) {
	case nil:
	case string:
		c.HasKuid = v != ""
	case bool:
		c.HasKuid = v
	case float64:
		c.HasKuid = v != 0
	default:
		c.HasKuid = true
	}
	return c, nil
}

// Validate checks credentials before Create (isUpdate false) or Update
// (isUpdate true), as the plugin's validate does: no kuid in the
// credentials, a username no other user has, then for a creation a
// username and a password, for an update at least one of them, and the
// password policies (the login in the password, passwordRegex, reuse of a
// recent password). kuid may be "" (security:validateCredentials without
// id): no policy applies then. Policy failures are *password.PolicyError
// values.
func (s *Strategy) Validate(ctx context.Context, kuid string, raw jsonx.RawMessage, isUpdate bool) error {
	c, err := parseCredentials(raw)
	if err != nil {
		return err
	}
	if c.HasKuid {
		return kuidInCredentials()
	}
	if c.Username != "" {
		owner, err := s.byUsername(ctx, c.Username)
		if err != nil {
			return err
		}
		if owner != nil && owner.Kuid != kuid {
			return usernameTaken(c.Username)
		}
	}
	if isUpdate {
		return s.validateUpdate(ctx, kuid, c)
	}
	return s.validateCreate(ctx, kuid, c)
}

// validateCreate is the plugin's _validateCreate.
func (s *Strategy) validateCreate(ctx context.Context, kuid string, c credentials) error {
	if c.Username == "" {
		return usernameRequired()
	}
	if c.Password == "" {
		return passwordRequired()
	}
	subject, err := s.subjectOf(ctx, kuid)
	if err != nil {
		return err
	}
	return s.policies.CheckNewPassword(subject, c.Username, c.Password)
}

// validateUpdate is the plugin's _validateUpdate.
func (s *Strategy) validateUpdate(ctx context.Context, kuid string, c credentials) error {
	if c.Username == "" && c.Password == "" {
		return nothingToUpdate()
	}
	r, err := s.byKuid(ctx, kuid)
	if err != nil {
		return err
	}
	if r == nil {
		return noCredentialsForUser(kuid)
	}
	subject, err := s.subjectOf(ctx, kuid)
	if err != nil {
		return err
	}
	login := c.Username
	if login == "" {
		login = r.Username
	}
	if err := s.policies.CheckNewPassword(subject, login, c.Password); err != nil {
		return err
	}
	if c.Password == "" {
		return nil
	}
	return s.checkReuse(subject, r, c.Password)
}

// checkReuse answers ReusedPassword when password is the current one or
// one of the history the retention covers.
func (s *Strategy) checkReuse(subject password.Subject, r *record, pw string) error {
	n := s.policies.Retention(subject)
	if n == 0 {
		return nil
	}
	hashes := make([]string, 0, n)
	hashes = append(hashes, r.Password)
	for _, old := range r.PasswordHistory {
		hashes = append(hashes, old.Password)
	}
	for _, h := range hashes[:min(n, len(hashes))] {
		same, err := s.verifyHash(pw, h)
		if err != nil {
			return fmt.Errorf("local strategy: password history of %q: %w", r.Kuid, err)
		}
		if same {
			return password.ReusedPassword()
		}
	}
	return nil
}

// subjectOf resolves the user policies are checked for; none for "".
func (s *Strategy) subjectOf(ctx context.Context, kuid string) (password.Subject, error) {
	if kuid == "" {
		return password.Subject{}, nil
	}
	subject, err := s.subject(ctx, kuid)
	if err != nil {
		return password.Subject{}, fmt.Errorf("local strategy: policies of %q: %w", kuid, err)
	}
	subject.Kuid = kuid
	return subject, nil
}

// Create stores the first credentials of the user kuid, set by updater
// ("" for nobody, e.g. a first admin). Callers run Validate first, as
// Kuzzle's controllers do; Create itself refuses a missing username or
// password, a user who already has credentials and a username taken.
func (s *Strategy) Create(ctx context.Context, kuid string, raw jsonx.RawMessage, updater string) (Info, error) {
	c, err := parseCredentials(raw)
	if err != nil {
		return Info{}, err
	}
	switch {
	case c.HasKuid:
		return Info{}, kuidInCredentials()
	case c.Password == "":
		return Info{}, passwordNeeded()
	case c.Username == "":
		return Info{}, usernameRequired()
	}
	// Hash before taking the lock: Argon2 is the slow part.
	hash, err := s.hash(c.Password)
	if err != nil {
		return Info{}, err
	}
	s.writes.Lock()
	defer s.writes.Unlock()
	existing, err := s.byKuid(ctx, kuid)
	if err != nil {
		return Info{}, err
	}
	if existing != nil {
		return Info{}, alreadyHasCredentials(kuid)
	}
	r := &record{Kuid: kuid, Username: c.Username, Password: hash, PasswordHistory: []archived{},
		Updater: updater, ChangedAt: s.now().UnixMilli()}
	err = s.put(ctx, store.OpCreate, r, updater)
	if isKerror(err, "services.storage.document_already_exists") {
		return Info{}, usernameTaken(c.Username)
	}
	if err != nil {
		return Info{}, err
	}
	return Info{Username: r.Username, Kuid: kuid}, nil
}

// Update changes the credentials of the user kuid: a new password is
// hashed, set by updater, and the previous one goes to the history (kept
// as long as the policies' retention needs); a new username renames the
// credentials, which keep their password unless one is given. Callers run
// Validate first.
func (s *Strategy) Update(ctx context.Context, kuid string, raw jsonx.RawMessage, updater string) (Info, error) {
	c, err := parseCredentials(raw)
	if err != nil {
		return Info{}, err
	}
	if c.HasKuid {
		return Info{}, kuidInUpdate()
	}
	hash := ""
	if c.Password != "" {
		if hash, err = s.hash(c.Password); err != nil {
			return Info{}, err
		}
	}
	s.writes.Lock()
	defer s.writes.Unlock()
	r, err := s.byKuid(ctx, kuid)
	if err != nil {
		return Info{}, err
	}
	if r == nil {
		return Info{}, noCredentialsForUser(kuid)
	}
	next := *r
	if hash != "" {
		if err := s.setPassword(ctx, &next, hash, updater); err != nil {
			return Info{}, err
		}
	}
	if c.Username == "" || c.Username == r.Username {
		if err := s.put(ctx, store.OpReplace, &next, updater); err != nil {
			return Info{}, err
		}
		return Info{Username: next.Username, Kuid: kuid}, nil
	}
	return s.rename(ctx, &next, r.Username, c.Username, updater)
}

// setPassword makes hash r's password, archiving the current one.
func (s *Strategy) setPassword(ctx context.Context, r *record, hash, updater string) error {
	subject, err := s.subjectOf(ctx, r.Kuid)
	if err != nil {
		return err
	}
	now := s.now().UnixMilli()
	history := []archived{}
	if keep := s.policies.Retention(subject) - 1; keep > 0 {
		history = append(history, archived{Password: r.Password, ChangedAt: r.ChangedAt, ArchivedAt: now})
		history = append(history, r.PasswordHistory...)
		history = history[:min(keep, len(history))]
	}
	r.Password, r.PasswordHistory, r.Updater, r.ChangedAt = hash, history, updater, now
	return nil
}

// rename stores r under the username to, then removes the document from:
// the new username is taken first, so that a refusal changes nothing.
func (s *Strategy) rename(ctx context.Context, r *record, from, to, updater string) (Info, error) {
	r.Username = to
	err := s.put(ctx, store.OpCreate, r, updater)
	if isKerror(err, "services.storage.document_already_exists") {
		return Info{}, usernameTaken(to)
	}
	if err != nil {
		return Info{}, err
	}
	if err := s.write(ctx, store.Op{Kind: store.OpDelete, ID: from}); err != nil {
		return Info{}, fmt.Errorf("local strategy: remove the former username %q: %w", from, err)
	}
	return Info{Username: to, Kuid: r.Kuid}, nil
}

// Delete removes the credentials of the user kuid;
// security.credentials.rejected "No credentials found for user" when it
// has none.
func (s *Strategy) Delete(ctx context.Context, kuid string) error {
	s.writes.Lock()
	defer s.writes.Unlock()
	r, err := s.byKuid(ctx, kuid)
	if err != nil {
		return err
	}
	if r == nil {
		return noCredentialsForUser(kuid)
	}
	if err := s.write(ctx, store.Op{Kind: store.OpDelete, ID: r.Username}); err != nil {
		return fmt.Errorf("local strategy: delete the credentials of %q: %w", kuid, err)
	}
	return nil
}

// millis turns Unix milliseconds into a time.
func millis(ms int64) time.Time { return time.UnixMilli(ms) }
