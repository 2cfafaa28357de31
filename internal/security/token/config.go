package token

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Never is the TTL and expiresIn of a token that does not expire (Kuzzle's -1).
const Never time.Duration = -1

// DefaultMaxTokens is the registry bound of DefaultConfig.
const DefaultMaxTokens = 1 << 20

// Config is what the token manager needs from the kuzzlerc security section
// (security.authToken.* with security.jwt.* as fallback, and
// security.apiKey.maxTTL).
type Config struct {
	// Algorithm signs new tokens: HS256 (Kuzzle's default), HS384 or HS512.
	// Verification accepts any of the three, as Kuzzle's does with a
	// shared secret.
	Algorithm string
	// ExpiresIn is the lifetime of a token issued without one (Kuzzle: "1h"),
	// or Never.
	ExpiresIn time.Duration
	// MaxTTL is the longest lifetime an authentication token may be asked
	// for; negative for no limit (Kuzzle's -1, the default). With a limit, a
	// token that never expires is refused too.
	MaxTTL time.Duration
	// APIKeyMaxTTL is MaxTTL for API keys (security.apiKey.maxTTL, -1).
	APIKeyMaxTTL time.Duration
	// GracePeriod is how long a refreshed token stays valid (Kuzzle: 1000 ms).
	GracePeriod time.Duration
	// Secret signs and verifies every token. Kuzzle generates one when none
	// is configured and stores it: see GenerateSecret.
	Secret []byte
	// MaxTokens bounds the registry: the number of live tokens (all users,
	// API keys included). Issuing or registering past it fails with
	// security.token.generation_failed; nothing is evicted, since evicting
	// would log out a user who did nothing wrong. Each live token costs
	// a few hundred bytes, so the default (1,048,576) is about 0.5 GiB at
	// worst.
	MaxTokens int
}

// DefaultConfig returns Kuzzle 2.56's defaults, without a secret.
func DefaultConfig() Config {
	return Config{
		Algorithm:    "HS256",
		ExpiresIn:    time.Hour,
		MaxTTL:       -1,
		APIKeyMaxTTL: -1,
		GracePeriod:  time.Second,
		MaxTokens:    DefaultMaxTokens,
	}
}

// hmacAlgorithms are the algorithms that work with a shared secret.
var hmacAlgorithms = []string{"HS256", "HS384", "HS512"}

// ErrAlgorithm is wrapped by Validate's error for an algorithm the manager
// cannot use.
var ErrAlgorithm = errors.New("unsupported token algorithm")

// Validate reports the first setting the manager cannot work with.
func (c Config) Validate() error {
	if err := checkAlgorithm(c.Algorithm); err != nil {
		return err
	}
	if len(c.Secret) == 0 {
		return errors.New("token config: no secret (generate one with GenerateSecret and persist it)")
	}
	if c.ExpiresIn <= 0 && c.ExpiresIn != Never {
		return fmt.Errorf("token config: expiresIn %v must be positive or Never", c.ExpiresIn)
	}
	if c.GracePeriod < 0 {
		return fmt.Errorf("token config: gracePeriod %v is negative", c.GracePeriod)
	}
	if c.MaxTokens <= 0 {
		return fmt.Errorf("token config: maxTokens %d must be positive", c.MaxTokens)
	}
	return nil
}

func checkAlgorithm(alg string) error {
	for _, a := range hmacAlgorithms {
		if alg == a {
			return nil
		}
	}
	switch {
	case alg == "none":
		return fmt.Errorf("token config: algorithm %q: unsigned tokens are refused: %w", alg, ErrAlgorithm)
	case strings.HasPrefix(alg, "RS"), strings.HasPrefix(alg, "PS"), strings.HasPrefix(alg, "ES"):
		return fmt.Errorf("token config: algorithm %q needs a key pair, but tokens are signed with a shared secret; use HS256, HS384 or HS512: %w", alg, ErrAlgorithm)
	}
	return fmt.Errorf("token config: unknown algorithm %q; use HS256, HS384 or HS512: %w", alg, ErrAlgorithm)
}
