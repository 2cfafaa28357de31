package coherence

import "testing"

// TestMarshalRoundTrip checks that every kind survives the bytes the
// transport carries, and that bytes without a kind are refused.
func TestMarshalRoundTrip(t *testing.T) {
	for _, c := range []Change{
		{Kind: Catalogue, Key: "i"},
		{Kind: Catalogue, Key: "%kuzzle", Sub: "users"},
		{Kind: Specification, Key: "i", Sub: "c"},
		{Kind: Definitions, Key: "roles", Sub: "editor"},
		{Kind: User, Key: "alice"},
		{Kind: TokenRevoked, Key: "00ff"},
		{Kind: UserTokensRevoked, Key: "alice", Sub: KeepAPIKeys},
	} {
		b, err := c.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		got, err := Unmarshal(b)
		if err != nil || got != c {
			t.Errorf("%s: got %v, %v from %s", c, got, err, b)
		}
	}
	for _, bad := range []string{``, `{}`, `{"key":"i"}`, `[1]`} {
		if c, err := Unmarshal([]byte(bad)); err == nil {
			t.Errorf("%q decoded as %v", bad, c)
		}
	}
}

// TestEmitter checks that nothing is sent before a function is set, and
// everything after until it is taken away.
func TestEmitter(t *testing.T) {
	var e Emitter
	e.Emit(Change{Kind: User, Key: "lost"})
	if e.Active() {
		t.Fatal("active without a function")
	}
	var got []Change
	e.Set(func(c Change) { got = append(got, c) })
	e.Emit(Change{Kind: User, Key: "a"})
	e.Set(nil)
	e.Emit(Change{Kind: User, Key: "b"})
	if len(got) != 1 || got[0].Key != "a" {
		t.Errorf("sent: %v", got)
	}
}
