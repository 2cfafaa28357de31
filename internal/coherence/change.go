package coherence

import (
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/starlingmq/starling/internal/jsonx"
)

// Kind says what a Change is about, and so which component applies it.
type Kind string

// The kinds of change. Key and Sub are described with each.
const (
	// Catalogue: an index (Key, Sub "") was created or deleted, or a
	// collection (Key the index, Sub the collection) was created, deleted
	// or had its mappings, settings or array paths changed. The store
	// reloads that index or collection.
	Catalogue Kind = "catalogue"
	// Specification: the specification of a collection (Key the index,
	// Sub the collection) was set or deleted; Sub "" stands for every
	// collection of the index. The node reloads it from the store.
	Specification Kind = "specification"
	// Definitions: a role (Key "roles") or a profile (Key "profiles"),
	// Sub its id, was written or deleted; Key "" after a reset of every
	// definition. The security repository reloads its snapshot.
	Definitions Kind = "definitions"
	// User: a user (Key its kuid) was written or deleted; Key "" for
	// every user (a reset). The security repository drops it from its
	// cache.
	User Kind = "user"
	// TokenRevoked: a token was revoked (logout, API key deleted, a
	// single-use token used); Key is its fingerprint (the SHA-256 of the
	// JWT, in hex), never the JWT. The token manager drops it.
	TokenRevoked Kind = "token-revoked"
	// UserTokensRevoked: every token of a user (Key its kuid) was revoked
	// (global logout, security:revokeTokens, user deleted); Sub is
	// KeepAPIKeys when its API keys stay valid.
	UserTokensRevoked Kind = "user-tokens-revoked"
	// TokenChanged: the stored state of a token (Key its fingerprint)
	// changed, its deadline after a refresh; the token manager forgets it
	// and reads it again at its next use.
	TokenChanged Kind = "token-changed"
)

// KeepAPIKeys is the Sub of a UserTokensRevoked change that spares the
// user's API keys.
const KeepAPIKeys = "keep-api-keys"

// Change is one change a node made in the store, named, not carried.
type Change struct {
	// Kind says what changed.
	Kind Kind `json:"kind"`
	// Key names what changed: an index, a kuid, a fingerprint (see Kind).
	Key string `json:"key"`
	// Sub names a part of Key: a collection of index Key, a role's id
	// (see Kind); "" for none.
	Sub string `json:"sub,omitempty"`
}

// String renders c for logs.
func (c Change) String() string {
	if c.Sub == "" {
		return fmt.Sprintf("%s %q", c.Kind, c.Key)
	}
	return fmt.Sprintf("%s %q %q", c.Kind, c.Key, c.Sub)
}

// Marshal encodes c for the cluster transport.
func (c Change) Marshal() ([]byte, error) {
	b, err := jsonx.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("encode the change %s: %w", c, err)
	}
	return b, nil
}

// Unmarshal decodes a Change that Marshal encoded; a change without a kind
// is an error.
func Unmarshal(b []byte) (Change, error) {
	var c Change
	if err := jsonx.Unmarshal(b, &c); err != nil {
		return Change{}, fmt.Errorf("decode a change: %w", err)
	}
	if c.Kind == "" {
		return Change{}, errors.New("decode a change: no kind")
	}
	return c, nil
}

// Emitter holds the function a component sends its changes through. The
// zero value sends nothing (one node alone). Safe for concurrent use; the
// function may be set at any time.
type Emitter struct {
	send atomic.Pointer[func(Change)]
}

// Set makes send receive every change emitted from now on; nil stops
// sending. send is called on the goroutine that made the change, after the
// change is in the store: it must return at once (queue, not wait).
func (e *Emitter) Set(send func(Change)) {
	if send == nil {
		e.send.Store(nil)
		return
	}
	e.send.Store(&send)
}

// Emit sends c, when a send function is set.
func (e *Emitter) Emit(c Change) {
	if send := e.send.Load(); send != nil {
		(*send)(c)
	}
}

// Active reports whether a send function is set.
func (e *Emitter) Active() bool { return e.send.Load() != nil }
