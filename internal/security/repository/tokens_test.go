package repository_test

import (
	"context"
	"testing"

	"github.com/starlingmq/starling/internal/security/repository"
	"github.com/starlingmq/starling/internal/store/storetest"
)

func TestStoredTokensAndAPIKeys(t *testing.T) { stores.Run(t, testStoredTokensAndAPIKeys) }

func testStoredTokensAndAPIKeys(t *testing.T, fresh storetest.Fresh) {
	ctx := context.Background()
	r, _ := open(t, fresh(t))
	login := repository.StoredToken{JWT: "kauth-a", UserID: "ann", ExpiresAt: 5000, TTL: 1000, Type: "authToken"}
	key := repository.StoredToken{JWT: "kapikey-b", UserID: "ann", ExpiresAt: -1, TTL: -1, Type: "apiKey"}
	if err := r.SaveToken(ctx, login); err != nil {
		t.Fatal(err)
	}
	if err := r.AddAPIKey(ctx, key, repository.APIKey{ID: "k1", UserID: "ann", Description: "ci", ExpiresAt: -1, TTL: -1}, "ann"); err != nil {
		t.Fatal(err)
	}
	err := r.AddAPIKey(ctx, repository.StoredToken{JWT: "kapikey-c", UserID: "ann"}, repository.APIKey{ID: "k1", UserID: "ann"}, "ann")
	if errID(err) != "services.storage.document_already_exists" {
		t.Fatalf("a taken _id: %v", err)
	}
	var all []repository.StoredToken
	if err := r.EachToken(ctx, func(s repository.StoredToken) error { all = append(all, s); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 {
		t.Fatalf("stored tokens (the failed key's must be gone): %+v", all)
	}
	tests := []struct {
		name, user, id, wantErr string
	}{
		{"another user's key", "bob", "k1", "services.storage.not_found"},
		{"no such key", "ann", "k9", "services.storage.not_found"},
		{"own key", "ann", "k1", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := r.APIKeyOf(ctx, tt.user, tt.id)
			if errID(err) != tt.wantErr {
				t.Fatalf("error %v, want %q", err, tt.wantErr)
			}
			if err == nil && (k.Fingerprint != repository.Fingerprint(key.JWT) || k.Description != "ci") {
				t.Fatalf("key %+v", k)
			}
		})
	}
	keys, err := r.SearchAPIKeys(ctx, "ann", nil, 0, -1)
	if err != nil || len(keys) != 1 || keys[0].ID != "k1" {
		t.Fatalf("search: %+v %v", keys, err)
	}
	if keys, _ := r.SearchAPIKeys(ctx, "bob", nil, 0, -1); len(keys) != 0 {
		t.Fatalf("bob's keys: %+v", keys)
	}
	jwt, err := r.RemoveAPIKey(ctx, "ann", "k1")
	if err != nil || jwt != key.JWT {
		t.Fatalf("remove: %q %v", jwt, err)
	}
	if _, found, _ := r.StoredTokenOf(ctx, repository.Fingerprint(key.JWT)); found {
		t.Fatal("the removed key's token is still stored")
	}
	if err := r.DeleteToken(ctx, login.JWT); err != nil {
		t.Fatal(err)
	}
	if err := r.DeleteToken(ctx, login.JWT); err != nil {
		t.Fatalf("deleting a token twice: %v", err)
	}
}
