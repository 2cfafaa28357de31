package password

import (
	"errors"
	"testing"
)

// FuzzVerify feeds Verify arbitrary encoded hashes: it must decode them or
// answer ErrMalformed, never panic, and never allocate past the bounds.
func FuzzVerify(f *testing.F) {
	f.Add("$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4")
	f.Add("$argon2id$v=19$m=8,t=1,p=1$c29tZXNhbHQ$AAAAAAAAAAAAAAAAAAAAAA")
	f.Add("$argon2i$v=19$m=256,t=2,p=1$c29tZXNhbHQ$")
	f.Fuzz(func(t *testing.T, enc string) {
		if c, _, _, err := decode(enc); err == nil && (c.Memory > 1024 || c.Iterations > 4) {
			return // valid but too costly to hash in a fuzz loop
		}
		if _, err := Verify("password", enc); err != nil && !errors.Is(err, ErrMalformed) {
			t.Fatalf("Verify(%q) = %v", enc, err)
		}
	})
}
