package security

// Config is the package's configuration: the security.standard and
// security.default.role keys of Kuzzle's configuration. DefaultConfig
// holds Kuzzle 2.56's values; the composition root maps kuzzlerc onto it.
type Config struct {
	// StandardRoles is security.standard.roles: the restricted roles
	// security:createFirstAdmin (with reset) and
	// security:restrictDefaultRights write over the built-in ones.
	StandardRoles map[string]*Role
	// StandardProfiles is security.standard.profiles, written with
	// StandardRoles.
	StandardProfiles map[string]*Profile
	// DefaultRole is security.default.role. Kuzzle 2.56 declares it in its
	// default configuration without reading it anywhere else; it is kept
	// so that a kuzzlerc naming it maps somewhere.
	DefaultRole *Role
}

// Builtins are the security definitions the server starts from.
type Builtins struct {
	// Roles and Profiles are what Kuzzle writes into an empty internal
	// index: admin, default and anonymous, every role allowing every
	// action, the admin profile with rateLimit 0 and the others without
	// one (0).
	Roles    map[string]*Role
	Profiles map[string]*Profile
	// Standard is the configured security.standard and
	// security.default.role.
	Standard Config
	// Anonymous is the anonymous user ("-1", profile "anonymous").
	Anonymous *User
}

// DefaultConfig returns Kuzzle 2.56's security.standard and
// security.default.role.
func DefaultConfig() Config {
	return Config{
		StandardRoles: map[string]*Role{
			"admin": allowAll("admin"),
			"default": role("default", map[string][]string{
				"auth":   {"checkToken", "getCurrentUser", "getMyRights", "logout", "updateSelf"},
				"server": {"publicApi"},
			}),
			"anonymous": role("anonymous", map[string][]string{
				"auth":   {"checkToken", "getCurrentUser", "getMyRights", "login"},
				"server": {"publicApi", "openapi"},
			}),
		},
		StandardProfiles: map[string]*Profile{
			"admin":     profile("admin", 0),
			"default":   profile("default", 10),
			"anonymous": profile("anonymous", 200),
		},
		DefaultRole: allowAll(""),
	}
}

// Defaults returns the built-in definitions with cfg's standard ones.
// Each role or profile cfg names replaces Kuzzle's default of that id
// whole; the ones it does not name, and a nil DefaultRole, keep Kuzzle's
// defaults.
func Defaults(cfg Config) Builtins {
	standard := DefaultConfig()
	for id, r := range cfg.StandardRoles {
		standard.StandardRoles[id] = withRoleID(r, id)
	}
	for id, p := range cfg.StandardProfiles {
		standard.StandardProfiles[id] = withProfileID(p, id)
	}
	if cfg.DefaultRole != nil {
		standard.DefaultRole = cfg.DefaultRole
	}
	return Builtins{
		Roles: map[string]*Role{
			"admin":     allowAll("admin"),
			"default":   allowAll("default"),
			"anonymous": allowAll("anonymous"),
		},
		Profiles: map[string]*Profile{
			"admin":     profile("admin", 0),
			"default":   profile("default", 0),
			"anonymous": profile("anonymous", 0),
		},
		Standard:  standard,
		Anonymous: AnonymousUser(),
	}
}

// allowAll is a role allowing every action of every controller.
func allowAll(id string) *Role {
	return &Role{ID: id, Controllers: map[string]ControllerRights{
		"*": {Actions: map[string]bool{"*": true}},
	}}
}

// role is a role allowing the listed actions of each controller.
func role(id string, allowed map[string][]string) *Role {
	r := &Role{ID: id, Controllers: make(map[string]ControllerRights, len(allowed))}
	for controller, actions := range allowed {
		rights := ControllerRights{Actions: make(map[string]bool, len(actions))}
		for _, action := range actions {
			rights.Actions[action] = true
		}
		r.Controllers[controller] = rights
	}
	return r
}

// profile is a profile with the one role of the same id.
func profile(id string, rateLimit int) *Profile {
	return &Profile{ID: id, Policies: []Policy{{RoleID: id}}, RateLimit: rateLimit}
}

func withRoleID(r *Role, id string) *Role {
	c := *r
	c.ID = id
	return &c
}

func withProfileID(p *Profile, id string) *Profile {
	c := *p
	c.ID = id
	return &c
}
