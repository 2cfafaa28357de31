package repository

import (
	"context"
	"sync"

	"github.com/starlingmq/starling/internal/security"
)

// Principal is a user with its profiles and their roles, as one snapshot
// had them: what a rights check reads.
type Principal struct {
	User     *security.User
	Profiles []*security.Profile
	Roles    map[string]*security.Role
	// everything is true when a policy without restriction gives a role
	// that grants every action of every controller and nothing else (the
	// bootstrap roles, admin): Allows then answers at once.
	everything bool
}

// Principal returns user id with its profiles and roles. A profile or
// role that no longer exists grants nothing. A principal is built once per
// user and definitions (it is read-only): the next request of the same
// user finds it again until the user or a role or profile changes.
func (r *Repository) Principal(ctx context.Context, id string) (*Principal, error) {
	u, err := r.User(ctx, id)
	if err != nil {
		return nil, err
	}
	s := r.current()
	if p := r.principals.get(id, u, s); p != nil {
		return p, nil
	}
	p := &Principal{User: u, Roles: s.roles}
	for _, pid := range u.ProfileIDs {
		if profile := s.profiles[pid]; profile != nil {
			p.Profiles = append(p.Profiles, profile)
			for _, policy := range profile.Policies {
				p.everything = p.everything || (len(policy.RestrictedTo) == 0 && grantsEverything(s.roles[policy.RoleID]))
			}
		}
	}
	r.principals.put(id, u, s, p)
	return p, nil
}

// principalCache holds the principals built, each with the user and the
// snapshot it was built from, at most max of them.
type principalCache struct {
	mu  sync.RWMutex
	max int
	m   map[string]principalEntry
}

type principalEntry struct {
	user *security.User
	snap *snapshot
	p    *Principal
}

// get returns id's principal if it was built from u and s.
func (c *principalCache) get(id string, u *security.User, s *snapshot) *Principal {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if e, ok := c.m[id]; ok && e.user == u && e.snap == s {
		return e.p
	}
	return nil
}

// put keeps p, built from u and s; past max an arbitrary principal makes
// room.
func (c *principalCache) put(id string, u *security.User, s *snapshot, p *Principal) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[string]principalEntry)
	}
	if _, ok := c.m[id]; !ok && len(c.m) >= c.max {
		for k := range c.m {
			delete(c.m, k)
			break
		}
	}
	c.m[id] = principalEntry{user: u, snap: s, p: p}
}

// Allows reports whether the principal may run controller:action on
// index and collection ("" when the request names none).
func (p *Principal) Allows(controller, action, index, collection string) bool {
	return p.everything || security.Allows(p.Profiles, p.Roles, controller, action, index, collection)
}

// grantsEverything reports whether role is {"*": {"actions": {"*": true}}}
// and nothing else.
func grantsEverything(role *security.Role) bool {
	if role == nil || len(role.Controllers) != 1 {
		return false
	}
	all, ok := role.Controllers["*"]
	return ok && len(all.Actions) == 1 && all.Actions["*"]
}

// Rights lists the principal's rights as auth:getMyRights and
// security:getUserRights answer them.
func (p *Principal) Rights() ([]security.RightsItem, error) {
	return security.UserRights(p.Profiles, p.Roles)
}
