// Package auth is Kuzzle's auth controller: login with an authentication
// strategy, logout, checkToken, refreshToken, getCurrentUser, getMyRights
// and getStrategies, with Kuzzle 2.56's arguments, results and errors. The
// request's caller comes from its context (api.CallerOf), set by the
// dispatcher's guard; tokens are the token manager's
// (internal/security/token), users and rights the security repository's
// (internal/security/repository); strategies verify credentials (the
// local one: internal/security/local).
//
// auth imports internal/api, internal/jsonx, internal/kerror,
// internal/security, internal/security/repository and
// internal/security/token only.
package auth
