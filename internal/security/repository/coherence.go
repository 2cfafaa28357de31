package repository

import (
	"context"
	"fmt"

	"github.com/starlingmq/starling/internal/coherence"
)

// Repositories of several nodes may share one store (Config.Shared). Each
// emits, after a change of its own is stored, a coherence.Definitions
// change for a role or profile and a coherence.User change for a user;
// Apply makes another node's repository reload its snapshot of roles and
// profiles, or drop the user from its cache (the next read takes it from
// the store). Rights checked through another node follow a change once it
// is applied there: one broadcast.
//
// On a shared store, every change of a role or profile reads the snapshot
// again first, and a user naming a profile the snapshot lacks reads it
// again before refusing: a check that guards a write ("is this role in
// use?", "does this profile exist?") never runs on definitions older than
// the store's. These are administrators' actions, rare enough for one
// scan of the roles and profiles each.

// SetEmitter makes send receive the repository's changes (nil: nothing is
// sent); send must return at once.
func (r *Repository) SetEmitter(send func(coherence.Change)) { r.emit.Set(send) }

// Apply brings the repository's memory in line with the store for a
// change another node made: coherence.Definitions reloads every role and
// profile, coherence.User drops the user (every user for Key "") from the
// cache. Changes of other kinds are ignored.
func (r *Repository) Apply(ctx context.Context, c coherence.Change) error {
	switch c.Kind {
	case coherence.Definitions:
		r.writes.Lock()
		defer r.writes.Unlock()
		if err := r.load(ctx); err != nil {
			return fmt.Errorf("apply %s: %w", c, err)
		}
	case coherence.User:
		if c.Key == "" {
			r.users.clear()
		} else {
			r.users.drop(c.Key)
		}
	}
	return nil
}

// refresh reloads the snapshot on a shared store, before a change of the
// definitions checks them. Called with r.writes held.
func (r *Repository) refresh(ctx context.Context) error {
	if !r.shared {
		return nil
	}
	return r.load(ctx)
}

// emitDefinition tells other nodes that a role (collection Roles) or a
// profile (Profiles) changed.
func (r *Repository) emitDefinition(collection, id string) {
	r.emit.Emit(coherence.Change{Kind: coherence.Definitions, Key: collection, Sub: id})
}

// emitUser tells other nodes that user id changed ("" for every user).
func (r *Repository) emitUser(id string) {
	r.emit.Emit(coherence.Change{Kind: coherence.User, Key: id})
}
