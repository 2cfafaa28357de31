package token

import (
	"strings"
	"time"
)

// Type tells an authentication token from an API key (Kuzzle's token.type).
type Type string

// The token types.
const (
	AuthToken Type = "authToken"
	APIKey    Type = "apiKey"
)

// The prefixes Kuzzle 2.56 puts before the JWT of each type.
const (
	AuthPrefix   = "kauth-"
	APIKeyPrefix = "kapikey-"
)

// AnonymousUserID is the kuid of the anonymous user, whose token is the
// absence of one.
const AnonymousUserID = "-1"

// Token is Kuzzle's token model (model/security/token.js).
type Token struct {
	// JWT is the encoded token with its prefix, as clients send it.
	JWT string
	// UserID is the kuid of the token's owner.
	UserID string
	// TTL is the lifetime asked for, or Never.
	TTL time.Duration
	// ExpiresAt is when the token expires; zero for never.
	ExpiresAt time.Time
	// Refreshed is set once the token has been refreshed: it then lives
	// for the grace period only and cannot be refreshed again.
	Refreshed bool
	// Type is AuthToken or APIKey.
	Type Type
	// SingleUse tokens (auth:createToken singleUse) end at their first
	// successful verification.
	SingleUse bool
}

// ID is Kuzzle's token _id: "<kuid>#<jwt>".
func (t Token) ID() string { return t.UserID + "#" + t.JWT }

// TTLMillis is the TTL as Kuzzle answers it: milliseconds, -1 for never.
func (t Token) TTLMillis() int64 {
	if t.TTL == Never {
		return -1
	}
	return t.TTL.Milliseconds()
}

// ExpiresAtMillis is the expiry as Kuzzle answers it: a Unix timestamp in
// milliseconds, -1 for never.
func (t Token) ExpiresAtMillis() int64 {
	if t.ExpiresAt.IsZero() {
		return -1
	}
	return t.ExpiresAt.UnixMilli()
}

// typeOf tells the type from the JWT's prefix, as Kuzzle's model does.
func typeOf(jwt string) Type {
	if strings.HasPrefix(jwt, APIKeyPrefix) {
		return APIKey
	}
	return AuthToken
}
