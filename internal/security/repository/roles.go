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

// Role returns the role id; security.role.not_found when there is none.
func (r *Repository) Role(id string) (*security.Role, error) {
	if role := r.current().roles[id]; role != nil {
		return role, nil
	}
	return nil, kerror.New("security.role.not_found", id)
}

// RoleList returns every role, sorted by id.
func (r *Repository) RoleList() []*security.Role {
	s := r.current()
	out := make([]*security.Role, 0, len(s.roles))
	for _, id := range slices.Sorted(maps.Keys(s.roles)) {
		out = append(out, s.roles[id])
	}
	return out
}

// PutRole writes a validated role. kind is store.OpCreate (the store's
// document_already_exists when it exists), store.OpCreateOrReplace or
// store.OpReplace (security.role.not_found when it does not exist); author
// is the kuid written in _kuzzle_info.
func (r *Repository) PutRole(ctx context.Context, role *security.Role, kind store.OpKind, author string) (store.Result, error) {
	body, err := jsonx.Marshal(role)
	if err != nil {
		return store.Result{}, fmt.Errorf("encode the role %s: %w", role.ID, err)
	}
	r.writes.Lock()
	defer r.writes.Unlock()
	if err := r.refresh(ctx); err != nil {
		return store.Result{}, err
	}
	if kind == store.OpReplace && r.current().roles[role.ID] == nil {
		return store.Result{}, kerror.New("security.role.not_found", role.ID)
	}
	res, err := r.write(ctx, Roles, store.Op{Kind: kind, ID: role.ID, Body: body, User: author})
	if err != nil {
		return res, err
	}
	stored := *role
	r.publish(func(s *snapshot) { s.roles[role.ID] = &stored })
	r.emitDefinition(Roles, role.ID)
	return res, nil
}

// DeleteRole deletes a role no profile uses: the built-in ones are
// security.role.cannot_delete, one in use security.role.in_use.
func (r *Repository) DeleteRole(ctx context.Context, id string) error {
	r.writes.Lock()
	defer r.writes.Unlock()
	if err := r.refresh(ctx); err != nil {
		return err
	}
	s := r.current()
	if s.roles[id] == nil {
		return kerror.New("security.role.not_found", id)
	}
	if builtin(id) {
		return kerror.New("security.role.cannot_delete")
	}
	for _, p := range s.profiles {
		for _, policy := range p.Policies {
			if policy.RoleID == id {
				return kerror.New("security.role.in_use", id)
			}
		}
	}
	if err := r.writeOne(ctx, Roles, store.Op{Kind: store.OpDelete, ID: id}); err != nil {
		return err
	}
	r.publish(func(s *snapshot) { delete(s.roles, id) })
	r.emitDefinition(Roles, id)
	return nil
}

// publish replaces the snapshot by a copy changed by change. Called with
// r.writes held.
func (r *Repository) publish(change func(*snapshot)) {
	old := r.current()
	s := &snapshot{roles: maps.Clone(old.roles), profiles: maps.Clone(old.profiles)}
	change(s)
	r.snap.Store(s)
}
