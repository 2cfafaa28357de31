// Package security owns Kuzzle's security model as plain values: roles,
// profiles and users with their stored JSON shapes, the checks Kuzzle runs
// on their definitions before it stores them, and the evaluation of rights
// (may this user run controller:action on index/collection?) together with
// the rights listing of security:getUserRights, security:getProfileRights
// and auth:getMyRights.
//
// It also holds the built-in definitions: the all-permissive roles and
// profiles Kuzzle writes when it bootstraps its internal index, the
// restricted ones of the security.standard configuration key (applied by
// security:createFirstAdmin with reset and by restrictDefaultRights), the
// security.default.role key, and the anonymous user ("-1").
//
// It is a pure library: no store, no actor, no network, no clock. Loading
// roles and profiles, tokens, passwords, controllers and the enforcement of
// rights on requests belong elsewhere; they hand this package the decoded
// roles and profiles they hold.
//
// security imports internal/jsonx and internal/kerror only.
package security
