package repository

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/starlingmq/starling/internal/coherence"
	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/kerror"
	"github.com/starlingmq/starling/internal/security"
	"github.com/starlingmq/starling/internal/store"
	"github.com/starlingmq/starling/internal/store/mapping"
	"github.com/starlingmq/starling/internal/store/query"
)

// Where the definitions live: Kuzzle's internal index and collections.
const (
	// Index is the internal index.
	Index = "%kuzzle"
	// Roles, Profiles and Users are its security collections.
	Roles    = "roles"
	Profiles = "profiles"
	Users    = "users"
	// config holds the bootstrap marker.
	config      = "config"
	bootstrapID = "security.bootstrapped"
)

// mappings are Kuzzle 2.56's mappings of the security collections
// (config/default.config.js, services.storageEngine.internalIndex).
var mappings = map[string]string{
	Users:    `{"dynamic":"false","properties":{"profileIds":{"type":"keyword"}}}`,
	Profiles: `{"dynamic":"false","properties":{"tags":{"type":"keyword"},"policies":{"properties":{"roleId":{"type":"keyword"},"restrictedTo":{"type":"nested","properties":{"index":{"type":"keyword"},"collections":{"type":"keyword"}}}}}}}`,
	Roles:    `{"dynamic":"false","properties":{"tags":{"type":"keyword"},"controllers":{"dynamic":"false","properties":{}}}}`,
	config:   `{"dynamic":"false","properties":{}}`,
	Tokens:   tokensMapping,
	APIKeys:  apiKeysMapping,
}

// Config configures a Repository.
type Config struct {
	// Builtins are the definitions written at the first start and those
	// that cannot be deleted; security.Defaults(security.DefaultConfig())
	// when zero.
	Builtins security.Builtins
	// MaxCachedUsers bounds the users held in memory (default 10,000).
	MaxCachedUsers int
	// Shared says that repositories of other nodes change the same store:
	// changes of the definitions then read them again first (see
	// coherence.go).
	Shared bool
}

// Repository keeps roles, profiles and users. Safe for concurrent use.
type Repository struct {
	st       store.Store
	builtins security.Builtins
	// snap holds every role and profile; replaced, never changed.
	snap atomic.Pointer[snapshot]
	// writes serializes changes, so that a check and the write it guards
	// see the same definitions.
	writes     sync.Mutex
	users      *userCache
	principals *principalCache
	// emit sends changes to other nodes; shared is Config.Shared.
	emit   coherence.Emitter
	shared bool
}

// snapshot is every role and profile at one moment.
type snapshot struct {
	roles    map[string]*security.Role
	profiles map[string]*security.Profile
}

// Open prepares the security collections in st (and Kuzzle's bootstrap
// definitions on a new store) and loads every role and profile.
func Open(ctx context.Context, st store.Store, cfg Config) (*Repository, error) {
	if cfg.Builtins.Roles == nil {
		cfg.Builtins = security.Defaults(security.DefaultConfig())
	}
	if cfg.MaxCachedUsers <= 0 {
		cfg.MaxCachedUsers = 10_000
	}
	r := &Repository{
		st: st, builtins: cfg.Builtins, users: newUserCache(cfg.MaxCachedUsers),
		principals: &principalCache{max: cfg.MaxCachedUsers}, shared: cfg.Shared,
	}
	if err := r.prepare(ctx); err != nil {
		return nil, fmt.Errorf("security repository: %w", err)
	}
	if err := r.load(ctx); err != nil {
		return nil, fmt.Errorf("security repository: %w", err)
	}
	return r, nil
}

// prepare creates the collections and, until the marker says it was done,
// writes the bootstrap roles and profiles (those already there are kept).
func (r *Repository) prepare(ctx context.Context) error {
	for name, raw := range mappings {
		m, err := mapping.Parse(jsonx.RawMessage(raw))
		if err != nil {
			return fmt.Errorf("mappings of %s: %w", name, err)
		}
		if err := r.st.CreateCollection(ctx, Index, name, m, nil); err != nil {
			return fmt.Errorf("create %s:%s: %w", Index, name, err)
		}
	}
	marker, err := r.st.Get(ctx, Index, config, []string{bootstrapID})
	if err != nil {
		return fmt.Errorf("read the bootstrap marker: %w", err)
	}
	if marker[0].Found {
		return nil
	}
	if err := createMissing(ctx, r.st, Roles, r.builtins.Roles); err != nil {
		return err
	}
	if err := createMissing(ctx, r.st, Profiles, r.builtins.Profiles); err != nil {
		return err
	}
	return r.writeOne(ctx, config, store.Op{Kind: store.OpCreateOrReplace, ID: bootstrapID, Body: jsonx.RawMessage(`{"done":true}`)})
}

// createMissing creates each definition of defs that collection lacks.
func createMissing[T any](ctx context.Context, st store.Store, collection string, defs map[string]*T) error {
	ops := make([]store.Op, 0, len(defs))
	for id, def := range defs {
		body, err := jsonx.Marshal(def)
		if err != nil {
			return fmt.Errorf("encode %s %s: %w", collection, id, err)
		}
		ops = append(ops, store.Op{Kind: store.OpCreate, ID: id, Body: body})
	}
	res, err := st.Write(ctx, Index, collection, ops)
	if err != nil {
		return fmt.Errorf("write the bootstrap %s: %w", collection, err)
	}
	for _, one := range res {
		var kerr *kerror.Error
		if one.Err != nil && !(errors.As(one.Err, &kerr) && kerr.ID == "services.storage.document_already_exists") {
			return fmt.Errorf("write the bootstrap %s %s: %w", collection, one.ID, one.Err)
		}
	}
	return nil
}

// load reads every role and profile into a new snapshot.
func (r *Repository) load(ctx context.Context) error {
	s := &snapshot{roles: map[string]*security.Role{}, profiles: map[string]*security.Profile{}}
	err := scan(ctx, r.st, Roles, func(id string, src jsonx.RawMessage) error {
		var role security.Role
		if err := jsonx.Unmarshal(src, &role); err != nil {
			return fmt.Errorf("decode the role %s: %w", id, err)
		}
		role.ID = id
		s.roles[id] = &role
		return nil
	})
	if err != nil {
		return err
	}
	err = scan(ctx, r.st, Profiles, func(id string, src jsonx.RawMessage) error {
		var p security.Profile
		if err := jsonx.Unmarshal(src, &p); err != nil {
			return fmt.Errorf("decode the profile %s: %w", id, err)
		}
		p.ID = id
		s.profiles[id] = &p
		return nil
	})
	if err != nil {
		return err
	}
	r.snap.Store(s)
	return nil
}

// scan calls fn with every document of collection, in pages ordered by
// _id.
func scan(ctx context.Context, st store.Store, collection string, fn func(id string, src jsonx.RawMessage) error) error {
	const page = 1000
	m, err := st.Mapping(ctx, Index, collection)
	if err != nil {
		return fmt.Errorf("read %s: %w", collection, err)
	}
	after := ""
	for {
		body := fmt.Sprintf(`{"sort":["_id"],"size":%d}`, page)
		if after != "" {
			encoded, _ := jsonx.Marshal([]string{after})
			body = fmt.Sprintf(`{"sort":["_id"],"size":%d,"search_after":%s}`, page, encoded)
		}
		s, err := query.ParseSearch(jsonx.RawMessage(body), "", m)
		if err != nil {
			return fmt.Errorf("read %s: %w", collection, err)
		}
		res, err := st.Search(ctx, Index, collection, s)
		if err != nil {
			return fmt.Errorf("read %s: %w", collection, err)
		}
		for _, hit := range res.Hits {
			if err := fn(hit.ID, hit.Source); err != nil {
				return err
			}
		}
		if len(res.Hits) < page {
			return nil
		}
		after = res.Hits[len(res.Hits)-1].ID
	}
}

// writeOne applies one op to collection and returns its result; the op's
// own failure is the error.
func (r *Repository) writeOne(ctx context.Context, collection string, op store.Op) error {
	_, err := r.write(ctx, collection, op)
	return err
}

// write applies one op to collection and returns its result.
func (r *Repository) write(ctx context.Context, collection string, op store.Op) (store.Result, error) {
	res, err := r.st.Write(ctx, Index, collection, []store.Op{op})
	if err != nil {
		return store.Result{}, fmt.Errorf("write %s %s: %w", collection, op.ID, err)
	}
	return res[0], res[0].Err
}

// current returns the snapshot of roles and profiles.
func (r *Repository) current() *snapshot { return r.snap.Load() }

// builtin reports whether id names one of the built-in definitions, which
// cannot be deleted.
func builtin(id string) bool { return id == "admin" || id == "default" || id == "anonymous" }

// UserIDs returns the id of every stored user, sorted.
func (r *Repository) UserIDs(ctx context.Context) ([]string, error) {
	var ids []string
	err := scan(ctx, r.st, Users, func(id string, _ jsonx.RawMessage) error {
		ids = append(ids, id)
		return nil
	})
	return ids, err
}

// Reset deletes every role and profile, writes the bootstrap ones again
// and returns how many it deleted (admin:resetSecurity; the caller deletes
// the users first, with their credentials and tokens).
func (r *Repository) Reset(ctx context.Context) (roles, profiles int, err error) {
	r.writes.Lock()
	defer r.writes.Unlock()
	s := r.current()
	roles, profiles = len(s.roles), len(s.profiles)
	for _, name := range []string{Profiles, Roles} {
		if err := r.st.Truncate(ctx, Index, name); err != nil {
			return 0, 0, fmt.Errorf("reset %s: %w", name, err)
		}
	}
	if err := r.writeOne(ctx, config, store.Op{Kind: store.OpDelete, ID: bootstrapID}); err != nil {
		return 0, 0, fmt.Errorf("reset: %w", err)
	}
	if err := r.prepare(ctx); err != nil {
		return 0, 0, fmt.Errorf("reset: %w", err)
	}
	r.users.clear()
	if err := r.load(ctx); err != nil {
		return 0, 0, err
	}
	r.emitDefinition("", "")
	r.emitUser("")
	return roles, profiles, nil
}
