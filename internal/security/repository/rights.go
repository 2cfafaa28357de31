package repository

import (
	"context"

	"github.com/starlingmq/starling/internal/security"
)

// Principal is a user with its profiles and their roles, as one snapshot
// had them: what a rights check reads.
type Principal struct {
	User     *security.User
	Profiles []*security.Profile
	Roles    map[string]*security.Role
}

// Principal returns user id with its profiles and roles. A profile or
// role that no longer exists grants nothing.
func (r *Repository) Principal(ctx context.Context, id string) (*Principal, error) {
	u, err := r.User(ctx, id)
	if err != nil {
		return nil, err
	}
	s := r.current()
	p := &Principal{User: u, Roles: s.roles}
	for _, pid := range u.ProfileIDs {
		if profile := s.profiles[pid]; profile != nil {
			p.Profiles = append(p.Profiles, profile)
		}
	}
	return p, nil
}

// Allows reports whether the principal may run controller:action on
// index and collection ("" when the request names none).
func (p *Principal) Allows(controller, action, index, collection string) bool {
	return security.Allows(p.Profiles, p.Roles, controller, action, index, collection)
}

// Rights lists the principal's rights as auth:getMyRights and
// security:getUserRights answer them.
func (p *Principal) Rights() ([]security.RightsItem, error) {
	return security.UserRights(p.Profiles, p.Roles)
}
