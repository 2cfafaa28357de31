package repository

import (
	"context"
	"fmt"
	"sync"

	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/kerror"
	"github.com/starlingmq/starling/internal/security"
	"github.com/starlingmq/starling/internal/store"
	"github.com/starlingmq/starling/internal/store/query"
)

// User returns the user id (the anonymous user for "-1");
// security.user.not_found when there is none.
func (r *Repository) User(ctx context.Context, id string) (*security.User, error) {
	if id == security.AnonymousID {
		return r.builtins.Anonymous, nil
	}
	if u, ok := r.users.get(id); ok {
		return u, nil
	}
	docs, err := r.st.Get(ctx, Index, Users, []string{id})
	if err != nil {
		return nil, fmt.Errorf("read the user %s: %w", id, err)
	}
	if !docs[0].Found {
		return nil, kerror.New("security.user.not_found", id)
	}
	u, err := decodeUser(id, docs[0].Source)
	if err != nil {
		return nil, err
	}
	r.users.put(u)
	return u, nil
}

// PutUser writes a validated user whose profiles all exist
// (security.profile.not_found names the first missing one). kind and
// author are as for PutRole; a replaced user that does not exist is
// security.user.not_found.
func (r *Repository) PutUser(ctx context.Context, u *security.User, kind store.OpKind, author string) (store.Result, error) {
	r.writes.Lock()
	defer r.writes.Unlock()
	return r.putUser(ctx, u, kind, author)
}

// putUser is PutUser with r.writes held.
func (r *Repository) putUser(ctx context.Context, u *security.User, kind store.OpKind, author string) (store.Result, error) {
	if err := r.profilesExist(ctx, u.ProfileIDs); err != nil {
		return store.Result{}, err
	}
	body, err := jsonx.Marshal(u)
	if err != nil {
		return store.Result{}, fmt.Errorf("encode the user %s: %w", u.ID, err)
	}
	r.users.drop(u.ID)
	res, err := r.write(ctx, Users, store.Op{Kind: kind, ID: u.ID, Body: body, User: author})
	if kerr, ok := err.(*kerror.Error); ok && kind == store.OpReplace && kerr.ID == "services.storage.not_found" {
		return res, kerror.New("security.user.not_found", u.ID)
	}
	if err == nil {
		r.emitUser(u.ID)
	}
	return res, err
}

// profilesExist fails with security.profile.not_found naming the first
// of ids the snapshot lacks; on a shared store the snapshot is read again
// before it is trusted to lack one. Called with r.writes held.
func (r *Repository) profilesExist(ctx context.Context, ids []string) error {
	for reloaded := false; ; reloaded = true {
		s := r.current()
		missing := ""
		for _, p := range ids {
			if s.profiles[p] == nil {
				missing = p
				break
			}
		}
		switch {
		case missing == "":
			return nil
		case reloaded || !r.shared:
			return kerror.New("security.profile.not_found", missing)
		}
		if err := r.load(ctx); err != nil {
			return err
		}
	}
}

// DeleteUser deletes a user; security.user.not_found when there is none.
func (r *Repository) DeleteUser(ctx context.Context, id string) error {
	r.writes.Lock()
	defer r.writes.Unlock()
	r.users.drop(id)
	err := r.writeOne(ctx, Users, store.Op{Kind: store.OpDelete, ID: id})
	if kerr, ok := err.(*kerror.Error); ok && kerr.ID == "services.storage.not_found" {
		return kerror.New("security.user.not_found", id)
	}
	if err == nil {
		r.emitUser(id)
	}
	return err
}

// usersWithProfile returns up to limit users having profile id.
func (r *Repository) usersWithProfile(ctx context.Context, id string, limit int) ([]*security.User, error) {
	m, err := r.st.Mapping(ctx, Index, Users)
	if err != nil {
		return nil, fmt.Errorf("read users: %w", err)
	}
	terms, err := jsonx.Marshal(map[string]any{"query": map[string]any{"terms": map[string]any{"profileIds": []string{id}}}, "size": limit})
	if err != nil {
		return nil, err
	}
	s, err := query.ParseSearch(terms, "", m)
	if err != nil {
		return nil, fmt.Errorf("users of the profile %s: %w", id, err)
	}
	res, err := r.st.Search(ctx, Index, Users, s)
	if err != nil {
		return nil, fmt.Errorf("users of the profile %s: %w", id, err)
	}
	users := make([]*security.User, 0, len(res.Hits))
	for _, hit := range res.Hits {
		u, err := decodeUser(hit.ID, hit.Source)
		if err != nil {
			return nil, err
		}
		users = append(users, u)
	}
	return users, nil
}

// decodeUser decodes a stored user.
func decodeUser(id string, src jsonx.RawMessage) (*security.User, error) {
	var u security.User
	if err := jsonx.Unmarshal(src, &u); err != nil {
		return nil, fmt.Errorf("decode the user %s: %w", id, err)
	}
	u.ID = id
	return &u, nil
}

// userCache holds users read from the store, at most max of them: past
// that, an arbitrary one makes room.
type userCache struct {
	mu  sync.RWMutex
	max int
	m   map[string]*security.User
}

func newUserCache(max int) *userCache {
	return &userCache{max: max, m: make(map[string]*security.User)}
}

func (c *userCache) get(id string) (*security.User, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	u, ok := c.m[id]
	return u, ok
}

func (c *userCache) put(u *security.User) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= c.max {
		for id := range c.m {
			delete(c.m, id)
			break
		}
	}
	c.m[u.ID] = u
}

func (c *userCache) drop(id string) {
	c.mu.Lock()
	delete(c.m, id)
	c.mu.Unlock()
}

func (c *userCache) clear() {
	c.mu.Lock()
	clear(c.m)
	c.mu.Unlock()
}
