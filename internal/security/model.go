package security

import (
	"slices"
	"strings"
)

// Role is a Kuzzle security role: for each controller ("*" for any), the
// actions it grants. Its JSON shape is Kuzzle's stored one,
// {"controllers": {name: {"actions": {name: bool}}}}; the id is not part of
// it.
type Role struct {
	ID          string                      `json:"-"`
	Controllers map[string]ControllerRights `json:"controllers"`
}

// ControllerRights lists one controller's action rights in a role: an
// action name ("*" for any) and whether it is allowed. Kuzzle refuses any
// value that is not a boolean when it validates the role.
type ControllerRights struct {
	Actions map[string]bool `json:"actions"`
}

// Profile is a Kuzzle security profile: the roles it gives, each possibly
// restricted to some indexes and collections, and the number of requests
// per second its users may send (0: no limit). Its JSON shape is Kuzzle's
// stored one; the id is not part of it.
type Profile struct {
	ID        string   `json:"-"`
	Policies  []Policy `json:"policies"`
	RateLimit int      `json:"rateLimit"`
}

// Policy gives one role, restricted to some indexes and collections when
// RestrictedTo is not empty.
type Policy struct {
	RoleID       string        `json:"roleId"`
	RestrictedTo []Restriction `json:"restrictedTo,omitempty"`
}

// Restriction limits a policy to one index and, when Collections is not
// empty, to those of its collections.
type Restriction struct {
	Index       string   `json:"index"`
	Collections []string `json:"collections,omitempty"`
}

// User is a Kuzzle user: its profiles and the rest of its stored content
// as the client sent it (without profileIds, _id and _kuzzle_info, which
// the store adds when it writes the user).
type User struct {
	ID         string
	ProfileIDs []string
	Content    map[string]any
}

// Allows reports whether the role grants controller:action, as Kuzzle's
// Role.isActionAllowed: the controller's own rights, else those of "*";
// within them the action's own right, else that of "*"; the right found
// must be true. The memory storage controller answers to both "ms" and its
// deprecated alias "memoryStorage", whichever the role names (ms first).
func (r *Role) Allows(controller, action string) bool {
	if r == nil || r.Controllers == nil {
		return false
	}
	rights, ok := r.controllerRights(controller)
	if !ok || rights.Actions == nil {
		return false
	}
	if allowed, ok := rights.Actions[action]; ok {
		return allowed
	}
	return rights.Actions["*"]
}

func (r *Role) controllerRights(controller string) (ControllerRights, bool) {
	if controller == "ms" || controller == "memoryStorage" {
		if rights, ok := r.Controllers["ms"]; ok {
			return rights, true
		}
		if rights, ok := r.Controllers["memoryStorage"]; ok {
			return rights, true
		}
	}
	if rights, ok := r.Controllers[controller]; ok {
		return rights, true
	}
	rights, ok := r.Controllers["*"]
	return rights, ok
}

// CanLogIn reports whether the role grants auth:login (Kuzzle's
// Role.canLogIn, which the anonymous role must satisfy): "auth" or "*"
// controller, "login" or "*" action, set to true.
func (r *Role) CanLogIn() bool {
	for _, controller := range []string{"auth", "*"} {
		rights, ok := r.Controllers[controller]
		if !ok {
			continue
		}
		if rights.Actions["login"] || rights.Actions["*"] {
			return true
		}
	}
	return false
}

// indexRestriction is one index of a policy's restrictions with its
// collections, deduplicated and sorted, as Kuzzle's optimised policies
// hold them.
type indexRestriction struct {
	index       string
	collections []string
}

// restrictions merges the policy's restrictions by index, in the order the
// indexes first appear, as Kuzzle's ProfileRepository.optimizePolicy:
// restrictions with an empty index are ignored, the collections of one
// index are deduplicated and sorted.
func (p Policy) restrictions() []indexRestriction {
	var merged []indexRestriction
	for _, restriction := range p.RestrictedTo {
		if restriction.Index == "" {
			continue
		}
		at := slices.IndexFunc(merged, func(m indexRestriction) bool { return m.index == restriction.Index })
		if at < 0 {
			merged = append(merged, indexRestriction{index: restriction.Index})
			at = len(merged) - 1
		}
		merged[at].collections = append(merged[at].collections, restriction.Collections...)
	}
	for i := range merged {
		slices.Sort(merged[i].collections)
		merged[i].collections = slices.Compact(merged[i].collections)
	}
	return merged
}

// Covers reports whether the policy's restrictions let a request reach
// index and collection, as Kuzzle's Role.checkRestrictions: no restriction,
// or no index in the request, allows; an index not listed denies; a listed
// index without collections allows; otherwise the collection must be
// listed (a request naming no collection is allowed).
func (p Policy) Covers(index, collection string) bool {
	restrictions := p.restrictions()
	if len(restrictions) == 0 || index == "" {
		return true
	}
	at := slices.IndexFunc(restrictions, func(m indexRestriction) bool { return m.index == index })
	if at < 0 {
		return false
	}
	collections := restrictions[at].collections
	if len(collections) == 0 || collection == "" {
		return true
	}
	_, found := slices.BinarySearch(collections, collection)
	return found
}

// Allows reports whether the profile grants controller:action on index and
// collection, as Kuzzle's Profile.isActionAllowed: some policy's role
// allows the action and that policy's restrictions cover index and
// collection. roles maps role ids to roles; a policy whose role is missing
// grants nothing. index and collection are empty when the request names
// none.
func (p *Profile) Allows(roles map[string]*Role, controller, action, index, collection string) bool {
	if p == nil {
		return false
	}
	for _, policy := range p.Policies {
		role := roles[policy.RoleID]
		if role.Allows(controller, action) && policy.Covers(index, collection) {
			return true
		}
	}
	return false
}

// Allows reports whether any of the given profiles grants controller:action
// on index and collection: a user is allowed when one of its profiles is
// (Kuzzle's User.isActionAllowed for a request without targets). A user
// without profiles is allowed nothing.
func Allows(profiles []*Profile, roles map[string]*Role, controller, action, index, collection string) bool {
	for _, profile := range profiles {
		if profile.Allows(roles, controller, action, index, collection) {
			return true
		}
	}
	return false
}

// Target is one index and some of its collections a multi-target request
// names (Kuzzle's "targets" argument).
type Target struct {
	Index       string
	Collections []string
}

// AllowsTargets is Kuzzle's User.isActionAllowed for a request with
// targets: each collection of each target must be covered by a policy
// whose role allows controller:action, in any of the profiles. Wildcards
// in a target's index or collections are refused. As in Kuzzle, a target
// without index or without collections is skipped, so targets that are
// all skipped allow the request whatever the roles say.
func AllowsTargets(profiles []*Profile, roles map[string]*Role, controller, action string, targets []Target) bool {
	var allowed []Policy
	for _, profile := range profiles {
		if profile == nil {
			continue
		}
		for _, policy := range profile.Policies {
			if roles[policy.RoleID].Allows(controller, action) {
				allowed = append(allowed, policy)
			}
		}
	}
	for _, target := range targets {
		if target.Index == "" || target.Collections == nil {
			continue
		}
		if strings.Contains(target.Index, "*") {
			return false
		}
		for _, collection := range target.Collections {
			if strings.Contains(collection, "*") {
				return false
			}
			covered := slices.ContainsFunc(allowed, func(p Policy) bool { return p.Covers(target.Index, collection) })
			if !covered {
				return false
			}
		}
	}
	return true
}
