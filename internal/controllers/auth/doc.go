// Package auth is Kuzzle's auth controller: login with an authentication
// strategy, logout, checkToken, refreshToken, getCurrentUser, getMyRights,
// getStrategies, createToken, the caller's API keys (createApiKey,
// searchApiKeys, deleteApiKey), updateSelf and the caller's credentials
// (credentialsExist, getMyCredentials, validateMyCredentials,
// createMyCredentials, updateMyCredentials, deleteMyCredentials), with
// Kuzzle 2.56's arguments, results and errors. The request's caller comes from its context (api.CallerOf), set by the
// dispatcher's guard; tokens are the token manager's
// (internal/security/token), users and rights the security repository's
// (internal/security/repository); strategies verify credentials (the
// local one: internal/security/local).
//
// Every token it issues is stored through the repository
// (Repository.SaveToken) so that it outlives a restart.
//
// auth imports internal/api, internal/jsonx, internal/kerror,
// internal/security, internal/security/repository,
// internal/security/token and internal/store (for the kind of a user's
// write only).
package auth
