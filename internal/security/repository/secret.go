package repository

import (
	"context"
	"encoding/hex"
	"fmt"

	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/store"
)

// secretID is the config document holding the generated token secret, as
// Kuzzle keeps it: {"seed": "<hex>"}.
const secretID = "security.jwt.secret"

// Secret returns the secret tokens are signed with when the configuration
// gives none: the one stored by an earlier start, else generate()'s,
// stored now so that tokens outlive a restart.
func (r *Repository) Secret(ctx context.Context, generate func() ([]byte, error)) ([]byte, error) {
	r.writes.Lock()
	defer r.writes.Unlock()
	if seed, found, err := r.storedSecret(ctx); err != nil || found {
		return seed, err
	}
	raw, err := generate()
	if err != nil {
		return nil, fmt.Errorf("generate the token secret: %w", err)
	}
	seed := hex.EncodeToString(raw)
	body, err := jsonx.Marshal(map[string]string{"seed": seed})
	if err != nil {
		return nil, err
	}
	if err := r.writeOne(ctx, config, store.Op{Kind: store.OpCreate, ID: secretID, Body: body, NoMeta: true}); err != nil {
		// Another node sharing the database may have stored one first:
		// every node must sign with the same.
		if stored, found, rerr := r.storedSecret(ctx); rerr == nil && found {
			return stored, nil
		}
		return nil, fmt.Errorf("store the token secret: %w", err)
	}
	return []byte(seed), nil
}

// storedSecret reads the stored secret; found is false when there is none.
func (r *Repository) storedSecret(ctx context.Context) (seed []byte, found bool, err error) {
	docs, err := r.st.Get(ctx, Index, config, []string{secretID})
	if err != nil {
		return nil, false, fmt.Errorf("read the token secret: %w", err)
	}
	if !docs[0].Found {
		return nil, false, nil
	}
	var stored struct {
		Seed string `json:"seed"`
	}
	if err := jsonx.Unmarshal(docs[0].Source, &stored); err != nil || stored.Seed == "" {
		return nil, false, fmt.Errorf("read the token secret: a stored seed that is no string (%v)", err)
	}
	return []byte(stored.Seed), true, nil
}
