// Package security is Kuzzle's security controller for roles, profiles and
// users: create, get, search, update and delete them, read and extend the
// mappings of their collections, list a profile's or a user's rights,
// revoke a user's tokens, with Kuzzle 2.56's arguments, results
// ({_id, _source} shapes) and errors.
//
// Definitions are checked by internal/security and kept by the security
// repository (internal/security/repository), which owns the "%kuzzle"
// index; results are read back from the store so that they carry the
// _kuzzle_info Kuzzle stores with them. Tokens are the token manager's
// (internal/security/token). Credentials given with a new user, and those
// a deleted user leaves, go through the Credentials interface, which
// authentication strategies implement.
//
// The credentials actions (createCredentials, updateCredentials,
// deleteCredentials, getCredentials, getCredentialsById, hasCredentials,
// validateCredentials, searchUsersByCredentials, the credential fields,
// getUserStrategies) call the strategies through Credentials.
// createFirstAdmin creates a user with the admin profile while none has
// it, and with reset writes security.standard's roles and profiles
// (Deps.Standard) over the built-in ones, as restrictDefaultRights does.
// checkRights tells whether a user may run a described request;
// scrollUsers and scrollProfiles continue scrolled searches; upsertUser
// updates or creates a user.
//
// API keys and the enforcement of rights on requests belong elsewhere.
//
// security imports internal/api, internal/jsonx, internal/kerror,
// internal/security, internal/security/repository,
// internal/security/token, internal/store, internal/store/mapping and
// internal/store/query only.
package security
