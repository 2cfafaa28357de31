package security

import (
	"context"
	"log/slog"
	"time"

	"github.com/starlingmq/starling/internal/api"
	"github.com/starlingmq/starling/internal/jsonx"
	model "github.com/starlingmq/starling/internal/security"
	"github.com/starlingmq/starling/internal/security/repository"
	"github.com/starlingmq/starling/internal/security/token"
	"github.com/starlingmq/starling/internal/store"
)

// Credentials are the authentication strategies' credentials of users, as
// Kuzzle's strategy plugins expose them (exists, validate, create,
// delete). Errors that are *kerror.Error reach the client as they are;
// others become security.credentials.rejected (Validate) or
// plugin.runtime.unexpected_error.
type Credentials interface {
	// Strategies lists the registered strategies.
	Strategies() []string
	// Exists reports whether kuid has credentials of strategy.
	Exists(ctx context.Context, strategy, kuid string) (bool, error)
	// Validate checks credentials (a JSON value) for kuid before Create.
	Validate(ctx context.Context, strategy, kuid string, credentials jsonx.RawMessage) error
	// Create stores kuid's credentials of strategy.
	Create(ctx context.Context, strategy, kuid string, credentials jsonx.RawMessage) error
	// Delete removes kuid's credentials of strategy.
	Delete(ctx context.Context, strategy, kuid string) error
	// Update validates credentials as an update (the strategy's validate
	// with isUpdate) then changes kuid's credentials of strategy, and
	// answers what the strategy tells of them (local: {username, kuid}).
	Update(ctx context.Context, strategy, kuid string, credentials jsonx.RawMessage) (any, error)
	// GetInfo answers what the strategy tells of kuid's credentials
	// (the plugin's getInfo; nil, nil when the strategy has none).
	GetInfo(ctx context.Context, strategy, kuid string) (any, error)
	// GetByID answers the credentials of strategy whose own id is id (the
	// plugin's getById: the username for local; nil, nil when the
	// strategy has none).
	GetByID(ctx context.Context, strategy, id string) (any, error)
	// Search searches strategy's credentials with an Elasticsearch body
	// (the plugin's search: {hits, total}); nil, nil for a strategy
	// without search (plugin.strategy.missing_optional_method).
	Search(ctx context.Context, strategy string, body jsonx.RawMessage, from, size int) (any, error)
	// Fields lists the fields of strategy's credentials.
	Fields(strategy string) []string
}

// Config holds the configuration keys the controller reads.
type Config struct {
	// FetchCount is limits.documentsFetchCount, the largest page a search
	// may ask for and its default size (0: Kuzzle's 10000).
	FetchCount int
	// WriteCount is limits.documentsWriteCount, the most ids one m*
	// deletion may name (0: Kuzzle's 200).
	WriteCount int
	// MaxScrollTTL is services.storageEngine.maxScrollDuration (0: no
	// limit).
	MaxScrollTTL time.Duration
	// RestrictedProfileIDs is security.restrictedProfileIds, the profiles
	// of users made by createRestrictedUser (nil: Kuzzle's ["default"]).
	RestrictedProfileIDs []string
}

// Deps are what the controller works with.
type Deps struct {
	// Security keeps roles, profiles and users.
	Security *repository.Repository
	// Store is the store Security keeps them in: results, searches and
	// mappings are read there.
	Store store.Store
	// Tokens revokes the tokens of users (revokeTokens, deleteUser).
	Tokens *token.Manager
	// Credentials are the strategies' credentials; nil: no strategy.
	Credentials Credentials
	// Standard are security.standard's roles and profiles, which
	// createFirstAdmin (with reset) and restrictDefaultRights write over
	// the built-in ones; zero: Kuzzle's defaults.
	Standard model.Config
	// Catalog tells which controllers and actions roles may name; nil
	// accepts any.
	Catalog model.ControllerCatalog
	// Config is the controller's configuration.
	Config Config
	// Logger receives Kuzzle's "[SECURITY]" audit lines (slog.Default
	// when nil).
	Logger *slog.Logger
}

// Controller returns the security controller on d.
func Controller(d Deps) api.Controller {
	c := newController(d)
	return api.Controller{Name: "security", Actions: c.actions()}
}

// newController completes d with its defaults.
func newController(d Deps) *controller {
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	if d.Config.FetchCount <= 0 {
		d.Config.FetchCount = 10000
	}
	if d.Config.WriteCount <= 0 {
		d.Config.WriteCount = 200
	}
	if d.Config.RestrictedProfileIDs == nil {
		d.Config.RestrictedProfileIDs = []string{"default"}
	}
	if d.Credentials == nil {
		d.Credentials = noCredentials{}
	}
	return &controller{Deps: d}
}

// actions are the security controller's actions.
func (c *controller) actions() map[string]api.Action {
	return map[string]api.Action{
		"createRole":             c.createRole,
		"createOrReplaceRole":    c.createOrReplaceRole,
		"getRole":                c.getRole,
		"mGetRoles":              c.mGetRoles,
		"searchRoles":            c.searchRoles,
		"updateRole":             c.updateRole,
		"deleteRole":             c.deleteRole,
		"mDeleteRoles":           c.mDeleteRoles,
		"getRoleMapping":         c.mappingGetter(repository.Roles),
		"updateRoleMapping":      c.mappingUpdater(repository.Roles),
		"createProfile":          c.createProfile,
		"createOrReplaceProfile": c.createOrReplaceProfile,
		"getProfile":             c.getProfile,
		"mGetProfiles":           c.mGetProfiles,
		"searchProfiles":         c.searchProfiles,
		"updateProfile":          c.updateProfile,
		"deleteProfile":          c.deleteProfile,
		"mDeleteProfiles":        c.mDeleteProfiles,
		"getProfileMapping":      c.mappingGetter(repository.Profiles),
		"updateProfileMapping":   c.mappingUpdater(repository.Profiles),
		"getProfileRights":       c.getProfileRights,
		"createUser":             c.createUser,
		"createRestrictedUser":   c.createRestrictedUser,
		"getUser":                c.getUser,
		"mGetUsers":              c.mGetUsers,
		"searchUsers":            c.searchUsers,
		"updateUser":             c.updateUser,
		"replaceUser":            c.replaceUser,
		"deleteUser":             c.deleteUser,
		"mDeleteUsers":           c.mDeleteUsers,
		"getUserMapping":         c.mappingGetter(repository.Users),
		"createApiKey":           c.createAPIKey,
		"searchApiKeys":          c.searchAPIKeys,
		"deleteApiKey":           c.deleteAPIKey,
		"updateUserMapping":      c.mappingUpdater(repository.Users),
		"getUserRights":          c.getUserRights,
		"revokeTokens":           c.revokeTokens,
		"refresh":                c.refresh,

		"upsertUser":               c.upsertUser,
		"getUserStrategies":        c.getUserStrategies,
		"createCredentials":        c.credentialsCreate,
		"updateCredentials":        c.credentialsUpdate,
		"deleteCredentials":        c.credentialsDelete,
		"getCredentials":           c.credentialsGet,
		"getCredentialsById":       c.credentialsGetByID,
		"hasCredentials":           c.credentialsHas,
		"validateCredentials":      c.credentialsValidate,
		"searchUsersByCredentials": c.searchUsersByCredentials,
		"getCredentialFields":      c.getCredentialFields,
		"getAllCredentialFields":   c.getAllCredentialFields,
		"createFirstAdmin":         c.createFirstAdmin,
		"restrictDefaultRights":    c.restrictDefaultRights,
		"checkRights":              c.checkRights,
		"scrollUsers":              c.scroller(repository.Users, nil),
		"scrollProfiles":           c.scroller(repository.Profiles, emptyOptimizedPolicies),
	}
}

type controller struct{ Deps }

// noCredentials is the Credentials of a server without strategies.
type noCredentials struct{}

func (noCredentials) Strategies() []string { return nil }
func (noCredentials) Exists(context.Context, string, string) (bool, error) {
	return false, nil
}
func (noCredentials) Validate(context.Context, string, string, jsonx.RawMessage) error { return nil }
func (noCredentials) Create(context.Context, string, string, jsonx.RawMessage) error   { return nil }
func (noCredentials) Delete(context.Context, string, string) error                     { return nil }

// kuid is the caller's kuid, written as author.
func kuid(ctx context.Context) string { return api.CallerOf(ctx).UserID }

// audit logs Kuzzle's line for a change made by the caller.
func (c *controller) audit(ctx context.Context, req *api.Request, kind, id string) {
	c.Logger.Info("[SECURITY] applied action", "user", kuid(ctx), "action", req.Action, kind, id)
}
