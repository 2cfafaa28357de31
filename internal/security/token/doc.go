// Package token owns Kuzzle's authentication tokens: the JWTs that auth:login,
// auth:refreshToken, auth:createToken and auth:createApiKey hand out, their
// verification with Kuzzle's error ids, and an in-memory registry of the live
// ones so that checking a request's token needs no store round trip.
//
// A token is a JWT signed with a shared secret (HMAC: HS256, HS384 or HS512)
// whose claims are "_id" (the user's kuid), "iat" and, unless it never
// expires, "exp". Authentication tokens carry the prefix "kauth-", API keys
// "kapikey-", as in Kuzzle 2.56.
//
// The Manager keeps every live token by its JWT and by its user, revokes one
// token (auth:logout), all of a user's tokens (logout global, user deletion),
// refreshes a token (the old one stays valid for the grace period) and tells
// a callback when a token ends, so that the caller can end the connections'
// subscriptions. Expiry runs on one heap and one timer for all tokens.
//
// The package does not persist anything: the caller stores API keys and the
// secret, and registers API keys loaded from its store with Manager.Register.
//
// Nodes sharing one store keep their registries in line through
// internal/coherence changes and read-through of the stored tokens
// (coherence.go): a token issued on one node is accepted on every node at
// once, a revocation takes effect everywhere within one broadcast.
//
// token imports internal/coherence and internal/kerror only (and
// github.com/golang-jwt/jwt/v5); it must not import actors, the store,
// controllers or MQTT code.
package token
