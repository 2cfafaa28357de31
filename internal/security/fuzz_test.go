package security

import (
	"errors"
	"testing"

	"github.com/starlingmq/starling/internal/kerror"
)

// FuzzParse feeds request bodies to every parser: each must return a
// definition or a Kuzzle error, never panic.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		``, `null`, `[]`, `{"controllers":{"*":{"actions":{"*":true}}}}`,
		`{"policies":[{"roleId":"a","restrictedTo":[{"index":"i","collections":["c"]},null,[1]]}],"rateLimit":1e300}`,
		`{"content":{"profileIds":["a"]}}`, `{"profileIds":[1]}`, `{"policies":"x"}`,
	} {
		f.Add([]byte(seed))
	}
	current := &User{ID: "u", ProfileIDs: []string{"default"}}
	profile := &Profile{ID: "p", Policies: []Policy{{RoleID: "a"}}}
	f.Fuzz(func(t *testing.T, body []byte) {
		check := func(err error) {
			var kerr *kerror.Error
			if err != nil && !errors.As(err, &kerr) {
				t.Fatalf("not a Kuzzle error: %v", err)
			}
		}
		_, err := ParseRole("anonymous", body)
		check(err)
		_, err = ParseProfile("anonymous", body)
		check(err)
		_, err = UpdateProfile(profile, body)
		check(err)
		_, err = ParseUserCreate("-1", body)
		check(err)
		_, err = ParseUserReplace("u", body)
		check(err)
		_, err = ParseUserUpdate(current, body)
		check(err)
	})
}
