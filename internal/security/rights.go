package security

import (
	"maps"
	"slices"

	"github.com/starlingmq/starling/internal/kerror"
)

// Right values in a rights listing.
const (
	Allowed = "allowed"
	Denied  = "denied"
)

// RightsItem is one entry of a rights listing, in Kuzzle's shape:
// {action, collection, controller, index, value}, where index and
// collection are "*" when the policy is not restricted and value is
// "allowed" or "denied".
type RightsItem struct {
	Action     string `json:"action"`
	Collection string `json:"collection"`
	Controller string `json:"controller"`
	Index      string `json:"index"`
	Value      string `json:"value"`
}

// Rights is a rights listing being built: the items in the order they were
// first met, each (controller, action, index, collection, value) once.
type Rights struct {
	items []RightsItem
	seen  map[RightsItem]struct{}
}

// Items returns the listing: security:getProfileRights,
// security:getUserRights and auth:getMyRights answer {hits: Items(),
// total: len(Items())}. It is never nil.
func (r *Rights) Items() []RightsItem {
	if r.items == nil {
		return []RightsItem{}
	}
	return r.items
}

// add records item unless the same item is already listed. Kuzzle keys
// each item by a hash of all of its fields, the role's boolean included,
// and merges equal keys; so an action a role allows and another denies on
// the same index and collection is listed twice, once "allowed" and once
// "denied".
func (r *Rights) add(item RightsItem) {
	if r.seen == nil {
		r.seen = make(map[RightsItem]struct{})
	}
	if _, ok := r.seen[item]; ok {
		return
	}
	r.seen[item] = struct{}{}
	r.items = append(r.items, item)
}

// AddProfile adds the rights of one profile, as Kuzzle's Profile.getRights:
// for each policy, each controller and action of its role, each restricted
// index ("*" when none) and each of its collections ("*" when none), one
// item. roles maps role ids to roles; a missing role is Kuzzle's
// security.role.not_found.
func (r *Rights) AddProfile(profile *Profile, roles map[string]*Role) error {
	for _, policy := range profile.Policies {
		role := roles[policy.RoleID]
		if role == nil {
			return kerror.New("security.role.not_found", policy.RoleID)
		}
		restrictions := policy.restrictions()
		if len(restrictions) == 0 {
			restrictions = []indexRestriction{{index: "*"}}
		}
		for _, controller := range slices.Sorted(maps.Keys(role.Controllers)) {
			actions := role.Controllers[controller].Actions
			for _, action := range slices.Sorted(maps.Keys(actions)) {
				r.addRestricted(controller, action, actions[action], restrictions)
			}
		}
	}
	return nil
}

func (r *Rights) addRestricted(controller, action string, allowed bool, restrictions []indexRestriction) {
	value := Denied
	if allowed {
		value = Allowed
	}
	for _, restriction := range restrictions {
		collections := restriction.collections
		if len(collections) == 0 {
			collections = []string{"*"}
		}
		for _, collection := range collections {
			r.add(RightsItem{
				Action:     action,
				Collection: collection,
				Controller: controller,
				Index:      restriction.index,
				Value:      value,
			})
		}
	}
}

// ProfileRights returns the rights listing of one profile
// (security:getProfileRights).
func ProfileRights(profile *Profile, roles map[string]*Role) ([]RightsItem, error) {
	var rights Rights
	if err := rights.AddProfile(profile, roles); err != nil {
		return nil, err
	}
	return rights.Items(), nil
}

// UserRights returns the rights listing of a user from its profiles
// (security:getUserRights, auth:getMyRights): the profiles' listings
// merged, each item once.
func UserRights(profiles []*Profile, roles map[string]*Role) ([]RightsItem, error) {
	var rights Rights
	for _, profile := range profiles {
		if err := rights.AddProfile(profile, roles); err != nil {
			return nil, err
		}
	}
	return rights.Items(), nil
}
