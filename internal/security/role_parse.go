package security

import (
	"slices"

	"github.com/starlingmq/starling/internal/kerror"
)

// ParseRole reads the body of security:createRole, createOrReplaceRole or
// updateRole (an update replaces the whole definition, as in Kuzzle) and
// checks it as Kuzzle's RoleRepository does before storing it:
// Role.validateDefinition, then the anonymous role's login right
// (security.role.login_required), then the "*" controller, which may only
// hold the "*" action (security.role.unknown_action). Whether other
// controllers and actions exist is the caller's check (ValidateActions).
func ParseRole(id string, body []byte) (*Role, error) {
	obj, err := decodeBody(body)
	if err != nil {
		return nil, err
	}
	role, err := roleFromObject(id, obj)
	if err != nil {
		return nil, err
	}
	if id == "anonymous" && !role.CanLogIn() {
		return nil, kerror.New("security.role.login_required")
	}
	if rights, ok := role.Controllers["*"]; ok {
		for _, action := range sortedKeys(rights.Actions) {
			if action != "*" {
				return nil, kerror.New("security.role.unknown_action", id, action, "*")
			}
		}
	}
	return role, nil
}

// ControllerCatalog tells which controllers and actions exist, for
// ValidateActions. Actions returns the actions of a controller and whether
// the controller exists.
type ControllerCatalog interface {
	Actions(controller string) (actions []string, ok bool)
}

// ValidateActions checks that every controller and action a role names
// exists, as Kuzzle's checkRoleNativeRights and checkRolePluginsRights:
// security.role.unknown_controller or security.role.unknown_action, whose
// last placeholder (a "did you mean" hint in Kuzzle) is left empty. With
// force, unknown names are accepted, as Kuzzle's force option.
func ValidateActions(role *Role, catalog ControllerCatalog, force bool) error {
	if force {
		return nil
	}
	for _, controller := range sortedKeys(role.Controllers) {
		if controller == "*" {
			continue
		}
		actions, ok := catalog.Actions(controller)
		if !ok {
			return kerror.New("security.role.unknown_controller", role.ID, controller, "")
		}
		for _, action := range sortedKeys(role.Controllers[controller].Actions) {
			if action != "*" && !slices.Contains(actions, action) {
				return kerror.New("security.role.unknown_action", role.ID, action, controller, "")
			}
		}
	}
	return nil
}

// roleFromObject is Kuzzle's Role.validateDefinition on a decoded body.
func roleFromObject(id string, obj map[string]any) (*Role, error) {
	raw, present := obj["controllers"]
	if !present || raw == nil {
		return nil, kerror.New("api.assert.missing_argument", id+".controllers")
	}
	controllers, ok := raw.(map[string]any)
	if !ok {
		return nil, kerror.New("api.assert.invalid_type", id+".controllers", "object")
	}
	if len(controllers) == 0 {
		return nil, kerror.New("api.assert.empty_argument", id+".controllers")
	}
	role := &Role{ID: id, Controllers: make(map[string]ControllerRights, len(controllers))}
	for _, name := range sortedKeys(controllers) {
		rights, err := controllerRights(name, controllers[name])
		if err != nil {
			return nil, err
		}
		role.Controllers[name] = rights
	}
	return role, nil
}

// controllerRights is Kuzzle's Role.validateControllerRights.
func controllerRights(name string, raw any) (ControllerRights, error) {
	controller, ok := raw.(map[string]any)
	if !ok {
		return ControllerRights{}, kerror.New("api.assert.invalid_type", name, "object")
	}
	if len(controller) == 0 {
		return ControllerRights{}, kerror.New("api.assert.empty_argument", name)
	}
	rawActions, present := controller["actions"]
	if !present {
		return ControllerRights{}, kerror.New("api.assert.missing_argument", name)
	}
	actions, ok := rawActions.(map[string]any)
	if !ok {
		return ControllerRights{}, kerror.New("api.assert.invalid_type", name+".actions", "object")
	}
	if len(actions) == 0 {
		return ControllerRights{}, kerror.New("api.assert.empty_argument", name+".actions")
	}
	rights := ControllerRights{Actions: make(map[string]bool, len(actions))}
	for _, action := range sortedKeys(actions) {
		allowed, ok := actions[action].(bool)
		if !ok {
			return ControllerRights{}, kerror.New("api.assert.invalid_type", name+".actions."+action, "boolean")
		}
		rights.Actions[action] = allowed
	}
	return rights, nil
}
