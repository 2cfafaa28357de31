package password

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"

	"golang.org/x/crypto/argon2"
)

// Config holds the Argon2id parameters of new hashes.
type Config struct {
	// Memory is the memory cost in KiB.
	Memory uint32
	// Iterations is the number of passes over the memory.
	Iterations uint32
	// Parallelism is the number of lanes.
	Parallelism uint8
	// SaltLength is the random salt's length in bytes.
	SaltLength uint32
	// KeyLength is the derived hash's length in bytes.
	KeyLength uint32
}

// DefaultConfig returns OWASP's Password Storage Cheat Sheet minimum for
// Argon2id: 19 MiB of memory, 2 iterations, 1 lane, with a 128-bit salt
// and a 256-bit hash. Of OWASP's equivalent settings it is the one that
// needs the least memory per login, which matters on a server that
// hashes many logins at once; raise Memory first where RAM allows.
// At these defaults one hash takes about 24 ms of one core and 19 MiB
// (BenchmarkHashDefault on the project's 2-core machine).
func DefaultConfig() Config {
	return Config{Memory: 19 * 1024, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}
}

// Bounds on parameters, for new hashes and decoded ones alike: a stored
// hash cannot make a verification allocate more than MaxMemory KiB.
const (
	MinSaltLength = 8
	MinKeyLength  = 16
	MaxKeyLength  = 1024
	MaxMemory     = 4 * 1024 * 1024 // 4 GiB
	MaxIterations = 1024
)

// ErrMalformed is wrapped by the errors of hashes that cannot be decoded.
var ErrMalformed = errors.New("malformed password hash")

// Validate reports the first parameter out of bounds.
func (c Config) Validate() error {
	switch {
	case c.Parallelism == 0:
		return errors.New("password config: parallelism must be at least 1")
	case c.Memory < 8*uint32(c.Parallelism) || c.Memory > MaxMemory:
		return fmt.Errorf("password config: memory %d KiB out of [%d, %d]", c.Memory, 8*uint32(c.Parallelism), MaxMemory)
	case c.Iterations == 0 || c.Iterations > MaxIterations:
		return fmt.Errorf("password config: iterations %d out of [1, %d]", c.Iterations, MaxIterations)
	case c.SaltLength < MinSaltLength:
		return fmt.Errorf("password config: salt length %d under %d bytes", c.SaltLength, MinSaltLength)
	case c.KeyLength < MinKeyLength || c.KeyLength > MaxKeyLength:
		return fmt.Errorf("password config: key length %d out of [%d, %d]", c.KeyLength, MinKeyLength, MaxKeyLength)
	}
	return nil
}

// Hasher hashes and verifies passwords. It is safe for concurrent use.
// Hashing never takes every core: at most GOMAXPROCS−1 hashes run at once
// (one on one or two cores), each holding Config.Memory, so that a flood of
// logins leaves the server a core for everything else. At most
// waitingPerSlot hashes per slot wait for one; past that a hash fails at
// once with ErrBusy.
type Hasher struct {
	cfg        Config
	slots      chan struct{}
	waiting    atomic.Int64
	maxWaiting int64
}

// waitingPerSlot bounds the hashes waiting for a slot, per slot.
const waitingPerSlot = 16

// ErrBusy is what a hash gets when too many already wait: the caller
// answers that the server is overloaded.
var ErrBusy = errors.New("password hashing: too many logins at once")

// NewHasher validates cfg and returns a hasher for it.
func NewHasher(cfg Config) (*Hasher, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	slots := max(runtime.GOMAXPROCS(0)-1, 1)
	return &Hasher{cfg: cfg, slots: make(chan struct{}, slots), maxWaiting: int64(slots * waitingPerSlot)}, nil
}

// derive runs one Argon2id derivation in a slot, or fails with ErrBusy
// when too many wait for one.
func (h *Hasher) derive(password string, salt []byte, p Config) ([]byte, error) {
	if h.waiting.Add(1) > h.maxWaiting {
		h.waiting.Add(-1)
		return nil, ErrBusy
	}
	h.slots <- struct{}{}
	h.waiting.Add(-1)
	defer func() { <-h.slots }()
	return argon2.IDKey([]byte(password), salt, p.Iterations, p.Memory, p.Parallelism, p.KeyLength), nil
}

// Hash derives a hash of password with a fresh random salt and returns
// its PHC string.
func (h *Hasher) Hash(password string) (string, error) {
	salt := make([]byte, h.cfg.SaltLength)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("hash password: salt: %w", err)
	}
	key, err := h.derive(password, salt, h.cfg)
	if err != nil {
		return "", err
	}
	return encode(h.cfg, salt, key), nil
}

// Decoy returns a hash in the hasher's parameters that no password is
// known to match (a random salt and a random key): checking a password
// against it costs what checking one against a real hash does.
func (h *Hasher) Decoy() (string, error) {
	b := make([]byte, h.cfg.SaltLength+h.cfg.KeyLength)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("decoy hash: %w", err)
	}
	return encode(h.cfg, b[:h.cfg.SaltLength], b[h.cfg.SaltLength:]), nil
}

// Verify reports whether password matches encoded, whatever parameters
// encoded was made with; the comparison takes constant time. An error
// wrapping ErrMalformed means encoded is not a hash this package reads;
// ErrBusy, that too many hashes wait.
func (h *Hasher) Verify(password, encoded string) (bool, error) {
	p, salt, key, err := decode(encoded)
	if err != nil {
		return false, err
	}
	got, err := h.derive(password, salt, p)
	if err != nil {
		return false, err
	}
	return subtle.ConstantTimeCompare(got, key) == 1, nil
}

// Verify is Hasher.Verify without its bound on concurrent hashes; the
// parameters come from encoded.
func Verify(password, encoded string) (bool, error) {
	p, salt, key, err := decode(encoded)
	if err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(password), salt, p.Iterations, p.Memory, p.Parallelism, p.KeyLength)
	return subtle.ConstantTimeCompare(got, key) == 1, nil
}

// NeedsRehash reports whether encoded was made with parameters other than
// the hasher's (or cannot be read): the caller then hashes the password
// again after a successful verification and stores the result.
func (h *Hasher) NeedsRehash(encoded string) bool {
	p, _, _, err := decode(encoded)
	return err != nil || p != h.cfg
}

// encode writes the PHC string.
func encode(c Config, salt, key []byte) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, c.Memory, c.Iterations, c.Parallelism,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

// decode reads a PHC string; the returned Config has the salt and key
// lengths found in it.
func decode(encoded string) (Config, []byte, []byte, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" {
		return Config{}, nil, nil, fmt.Errorf("%w: want 5 '$'-separated fields", ErrMalformed)
	}
	if parts[1] != "argon2id" {
		return Config{}, nil, nil, fmt.Errorf("%w: algorithm %q is not argon2id", ErrMalformed, parts[1])
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version ||
		parts[2] != fmt.Sprintf("v=%d", version) {
		return Config{}, nil, nil, fmt.Errorf("%w: version %q is not v=%d", ErrMalformed, parts[2], argon2.Version)
	}
	var c Config
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &c.Memory, &c.Iterations, &c.Parallelism); err != nil ||
		parts[3] != fmt.Sprintf("m=%d,t=%d,p=%d", c.Memory, c.Iterations, c.Parallelism) {
		return Config{}, nil, nil, fmt.Errorf("%w: parameters %q", ErrMalformed, parts[3])
	}
	salt, err := base64.RawStdEncoding.Strict().DecodeString(parts[4])
	if err != nil {
		return Config{}, nil, nil, fmt.Errorf("%w: salt: %v", ErrMalformed, err)
	}
	key, err := base64.RawStdEncoding.Strict().DecodeString(parts[5])
	if err != nil {
		return Config{}, nil, nil, fmt.Errorf("%w: hash: %v", ErrMalformed, err)
	}
	c.SaltLength, c.KeyLength = uint32(len(salt)), uint32(len(key))
	if err := c.Validate(); err != nil {
		return Config{}, nil, nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return c, salt, key, nil
}
