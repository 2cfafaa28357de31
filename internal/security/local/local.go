package local

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/kerror"
	"github.com/starlingmq/starling/internal/security/password"
	"github.com/starlingmq/starling/internal/store"
	"github.com/starlingmq/starling/internal/store/mapping"
	"github.com/starlingmq/starling/internal/store/query"
)

// Where the credentials live.
const (
	// Index is Kuzzle's internal index.
	Index = "%kuzzle"
	// Collection holds one document per user, its _id the username.
	Collection = "credentials-local"
	// Name is the strategy's name in Kuzzle's API.
	Name = "local"
)

// collectionMapping indexes what the strategy searches on; the hashes are
// stored, never indexed.
const collectionMapping = `{"dynamic":"false","properties":{"kuid":{"type":"keyword"},"username":{"type":"keyword"}}}`

// Options are a Strategy's injected dependencies; every field is optional.
type Options struct {
	// Now is the clock (default time.Now): when passwords are set, and the
	// expiry of the policies.
	Now func() time.Time
	// Subject returns the user a policy check is about: its profiles and
	// roles select the policies that apply (appliesTo). The default knows
	// the kuid only, so that only policies for everyone ("*") or naming
	// the user apply.
	Subject func(ctx context.Context, kuid string) (password.Subject, error)
}

// Info is what the strategy tells about a user's credentials: the plugin's
// getInfo and getById answer, never a hash.
type Info struct {
	Username string `json:"username"`
	Kuid     string `json:"kuid"`
}

// Strategy is the local strategy. It is safe for concurrent use; its writes
// are serialized so that the username and kuid checks hold for the write
// they guard (on one server).
type Strategy struct {
	st       store.Store
	hasher   *password.Hasher
	policies *password.Policies
	now      func() time.Time
	subject  func(ctx context.Context, kuid string) (password.Subject, error)
	// dummy is a hash no password matches, which Verify checks when the
	// username is unknown, so that answering takes as long as for a known
	// one.
	dummy string
	// verifyHash is hasher.Verify; tests count its calls.
	verifyHash func(pw, encoded string) (bool, error)
	// mapping is the collection's mapping, for parsing searches.
	mapping *mapping.Mappings
	writes  sync.Mutex
}

// record is the stored credentials document.
type record struct {
	Kuid     string `json:"kuid"`
	Username string `json:"username"`
	// Password is the PHC string of the current password.
	Password string `json:"password"`
	// PasswordHistory holds previous passwords, the latest first, as many
	// as the policies' retention needs.
	PasswordHistory []archived `json:"passwordHistory"`
	// Updater is the kuid of who set the password ("" for nobody).
	Updater string `json:"updater"`
	// ChangedAt is when the password was set, in Unix milliseconds.
	ChangedAt int64 `json:"changedAt"`
}

// archived is a previous password.
type archived struct {
	Password   string `json:"password"`
	ChangedAt  int64  `json:"changedAt"`
	ArchivedAt int64  `json:"archivedAt"`
}

// New prepares the credentials collection in st (created with its mapping
// when missing) and returns the strategy. policies may be nil for none.
func New(ctx context.Context, st store.Store, hasher *password.Hasher, policies *password.Policies, opts Options) (*Strategy, error) {
	if st == nil || hasher == nil {
		return nil, errors.New("local strategy: a store and a hasher are required")
	}
	if policies == nil {
		policies, _ = password.NewPolicies(nil)
	}
	dummy, err := hasher.Decoy()
	if err != nil {
		return nil, err
	}
	s := &Strategy{st: st, hasher: hasher, policies: policies, now: opts.Now, subject: opts.Subject, verifyHash: hasher.Verify, dummy: dummy}
	if s.now == nil {
		s.now = time.Now
	}
	if s.subject == nil {
		s.subject = func(_ context.Context, kuid string) (password.Subject, error) {
			return password.Subject{Kuid: kuid}, nil
		}
	}
	m, err := mapping.Parse(jsonx.RawMessage(collectionMapping))
	if err != nil {
		return nil, fmt.Errorf("local strategy: mapping: %w", err)
	}
	if err := st.CreateCollection(ctx, Index, Collection, m, nil); err != nil {
		return nil, fmt.Errorf("local strategy: create %s:%s: %w", Index, Collection, err)
	}
	if s.mapping, err = st.Mapping(ctx, Index, Collection); err != nil {
		return nil, fmt.Errorf("local strategy: read the mapping of %s:%s: %w", Index, Collection, err)
	}
	return s, nil
}

// decoy checks pw against the hash of a random password, spending the
// time a known user name would.
func (s *Strategy) decoy(pw string) error {
	_, err := s.verifyHash(pw, s.dummy)
	return err
}

// byUsername returns the credentials whose username is username, nil when
// none.
func (s *Strategy) byUsername(ctx context.Context, username string) (*record, error) {
	if username == "" {
		return nil, nil
	}
	docs, err := s.st.Get(ctx, Index, Collection, []string{username})
	if err != nil {
		return nil, fmt.Errorf("local strategy: read the credentials of %q: %w", username, err)
	}
	if !docs[0].Found {
		return nil, nil
	}
	return decodeRecord(docs[0].ID, docs[0].Source)
}

// byKuid returns the credentials of the user kuid, nil when none (the
// plugin's getCredentialsFromUserId).
func (s *Strategy) byKuid(ctx context.Context, kuid string) (*record, error) {
	body, err := jsonx.Marshal(map[string]any{"query": map[string]any{"term": map[string]any{"kuid": kuid}}, "size": 1})
	if err != nil {
		return nil, fmt.Errorf("local strategy: credentials of the user %q: %w", kuid, err)
	}
	q, err := query.ParseSearch(body, "", s.mapping)
	if err != nil {
		return nil, fmt.Errorf("local strategy: credentials of the user %q: %w", kuid, err)
	}
	res, err := s.st.Search(ctx, Index, Collection, q)
	if err != nil {
		return nil, fmt.Errorf("local strategy: credentials of the user %q: %w", kuid, err)
	}
	if len(res.Hits) == 0 {
		return nil, nil
	}
	return decodeRecord(res.Hits[0].ID, res.Hits[0].Source)
}

// decodeRecord decodes a stored document; its _id is the username.
func decodeRecord(id string, src jsonx.RawMessage) (*record, error) {
	var r record
	if err := jsonx.Unmarshal(src, &r); err != nil {
		return nil, fmt.Errorf("local strategy: decode the credentials of %q: %w", id, err)
	}
	r.Username = id
	return &r, nil
}

// write applies one op and returns its error (the call's or the op's).
func (s *Strategy) write(ctx context.Context, op store.Op) error {
	res, err := s.st.Write(ctx, Index, Collection, []store.Op{op})
	if err != nil {
		return fmt.Errorf("local strategy: write the credentials of %q: %w", op.ID, err)
	}
	return res[0].Err
}

// put writes r as the document op (create or replace).
func (s *Strategy) put(ctx context.Context, kind store.OpKind, r *record, user string) error {
	body, err := jsonx.Marshal(r)
	if err != nil {
		return fmt.Errorf("local strategy: encode the credentials of %q: %w", r.Username, err)
	}
	return s.write(ctx, store.Op{Kind: kind, ID: r.Username, Body: body, User: user, Now: s.now().UnixMilli()})
}

// isKerror reports whether err is the Kuzzle error id.
func isKerror(err error, id string) bool {
	var kerr *kerror.Error
	return errors.As(err, &kerr) && kerr.ID == id
}

// Exists reports whether the user kuid has local credentials.
func (s *Strategy) Exists(ctx context.Context, kuid string) (bool, error) {
	r, err := s.byKuid(ctx, kuid)
	return r != nil, err
}

// GetInfo returns the username of the user kuid (auth:getMyCredentials,
// security:getCredentials); security.credentials.rejected "No credentials
// found for user" when it has none.
func (s *Strategy) GetInfo(ctx context.Context, kuid string) (Info, error) {
	r, err := s.byKuid(ctx, kuid)
	if err != nil {
		return Info{}, err
	}
	if r == nil {
		return Info{}, noCredentialsForUser(kuid)
	}
	return Info{Username: r.Username, Kuid: r.Kuid}, nil
}

// GetByUsername returns the credentials named username
// (security:getCredentialsById); security.credentials.rejected "No
// credentials found for username" when none.
func (s *Strategy) GetByUsername(ctx context.Context, username string) (Info, error) {
	if username == "" {
		return Info{}, noCredentialsForUsername(username)
	}
	r, err := s.byUsername(ctx, username)
	if err != nil {
		return Info{}, err
	}
	if r == nil {
		return Info{}, noCredentialsForUsername(username)
	}
	return Info{Username: r.Username, Kuid: r.Kuid}, nil
}
