package repository

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/kerror"
	"github.com/starlingmq/starling/internal/security"
	"github.com/starlingmq/starling/internal/store"
)

// Profile returns the profile id; security.profile.not_found when there
// is none.
func (r *Repository) Profile(id string) (*security.Profile, error) {
	if p := r.current().profiles[id]; p != nil {
		return p, nil
	}
	return nil, kerror.New("security.profile.not_found", id)
}

// ProfileList returns every profile, sorted by id.
func (r *Repository) ProfileList() []*security.Profile {
	s := r.current()
	out := make([]*security.Profile, 0, len(s.profiles))
	for _, id := range slices.Sorted(maps.Keys(s.profiles)) {
		out = append(out, s.profiles[id])
	}
	return out
}

// PutProfile writes a validated profile whose roles all exist
// (security.role.not_found names the first missing one); the anonymous
// profile must keep the anonymous role
// (security.profile.missing_anonymous_role). kind and author are as for
// PutRole.
func (r *Repository) PutProfile(ctx context.Context, p *security.Profile, kind store.OpKind, author string) (store.Result, error) {
	body, err := jsonx.Marshal(p)
	if err != nil {
		return store.Result{}, fmt.Errorf("encode the profile %s: %w", p.ID, err)
	}
	r.writes.Lock()
	defer r.writes.Unlock()
	if err := r.refresh(ctx); err != nil {
		return store.Result{}, err
	}
	s := r.current()
	if kind == store.OpReplace && s.profiles[p.ID] == nil {
		return store.Result{}, kerror.New("security.profile.not_found", p.ID)
	}
	hasAnonymous := false
	for _, policy := range p.Policies {
		if s.roles[policy.RoleID] == nil {
			return store.Result{}, kerror.New("security.role.not_found", policy.RoleID)
		}
		hasAnonymous = hasAnonymous || policy.RoleID == "anonymous"
	}
	if p.ID == "anonymous" && !hasAnonymous {
		return store.Result{}, kerror.New("security.profile.missing_anonymous_role")
	}
	res, err := r.write(ctx, Profiles, store.Op{Kind: kind, ID: p.ID, Body: body, User: author})
	if err != nil {
		return res, err
	}
	stored := *p
	r.publish(func(s *snapshot) { s.profiles[p.ID] = &stored })
	r.emitDefinition(Profiles, p.ID)
	return res, nil
}

// DeleteProfile deletes a profile. The built-in ones are
// security.profile.cannot_delete. A profile users still have is
// security.profile.in_use, unless removeFromUsers: then it is taken out of
// their profiles first (a user left with none gets "anonymous"), as
// Kuzzle's onAssignedUsers "remove".
func (r *Repository) DeleteProfile(ctx context.Context, id string, removeFromUsers bool, author string) error {
	r.writes.Lock()
	defer r.writes.Unlock()
	if err := r.refresh(ctx); err != nil {
		return err
	}
	if r.current().profiles[id] == nil {
		return kerror.New("security.profile.not_found", id)
	}
	if builtin(id) {
		return kerror.New("security.profile.cannot_delete")
	}
	if err := r.releaseProfile(ctx, id, removeFromUsers, author); err != nil {
		return err
	}
	if err := r.writeOne(ctx, Profiles, store.Op{Kind: store.OpDelete, ID: id}); err != nil {
		return err
	}
	r.publish(func(s *snapshot) { delete(s.profiles, id) })
	r.emitDefinition(Profiles, id)
	return nil
}

// releaseProfile fails when users have profile id, or takes it out of
// their profiles when remove. Called with r.writes held.
func (r *Repository) releaseProfile(ctx context.Context, id string, remove bool, author string) error {
	const page = 100
	for {
		users, err := r.usersWithProfile(ctx, id, page)
		if err != nil {
			return err
		}
		if len(users) == 0 {
			return nil
		}
		if !remove {
			return kerror.New("security.profile.in_use")
		}
		for _, u := range users {
			u.ProfileIDs = slices.DeleteFunc(u.ProfileIDs, func(p string) bool { return p == id })
			if len(u.ProfileIDs) == 0 {
				u.ProfileIDs = []string{"anonymous"}
			}
			if _, err := r.putUser(ctx, u, store.OpReplace, author); err != nil {
				return err
			}
		}
	}
}
