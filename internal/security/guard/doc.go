// Package guard admits API requests for the dispatcher
// (actors/dispatcher.Guard): it authenticates each request with its token
// (internal/security/token; no token is the anonymous user), reads the
// caller's profiles and roles (internal/security/repository) and refuses
// what they do not allow, with Kuzzle's errors: security.token.* for a bad
// token, security.rights.unauthorized for the anonymous user and
// security.rights.forbidden for another. An admitted request's action runs
// with the api.Caller in its context.
//
// It also applies Kuzzle's rate limits: limits.loginsPerSecond per
// connection for auth:login, and each user's profiles' rateLimit per
// second for everything else (api.process.too_many_logins_requests,
// api.process.too_many_requests).
//
// guard imports internal/api, internal/kerror, internal/security,
// internal/security/repository and internal/security/token only.
package guard
