package token

import (
	"crypto/rand"
	"fmt"
)

// SecretSize is the length in bytes of a generated secret (256 bits).
const SecretSize = 32

// GenerateSecret returns a random 256-bit secret for a node configured
// without one. The caller persists it (Kuzzle keeps it in its internal index)
// so that tokens survive a restart and every node of a cluster shares it.
func GenerateSecret() ([]byte, error) {
	b := make([]byte, SecretSize)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("generate token secret: %w", err)
	}
	return b, nil
}
