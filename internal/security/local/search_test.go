package local

import (
	"context"
	"slices"
	"testing"

	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/store/storetest"
)

func TestSearch(t *testing.T) { stores.Run(t, testSearch) }

func testSearch(t *testing.T, fresh storetest.Fresh) {
	f := newFixture(t, fresh, nil, Options{})
	for _, u := range [][2]string{{"u3", "alice"}, {"u1", "bob"}, {"u2", "carol"}, {"u4", "alfred"}} {
		f.mustCreate(t, u[0], u[1], "secret", "")
	}
	tests := []struct {
		name       string
		body       string
		from, size int
		want       []string // usernames, in order when the body sorts
		total      int
		id, msg    string
	}{
		{"all sorted by username", `{"sort":["username"]}`, 0, 10, []string{"alfred", "alice", "bob", "carol"}, 4, "", ""},
		{"sorted by kuid desc", `{"sort":[{"kuid":{"order":"desc"}}]}`, 0, 10, []string{"alfred", "alice", "carol", "bob"}, 4, "", ""},
		{"sort object", `{"sort":{"username":"desc"}}`, 0, 10, []string{"carol", "bob", "alice", "alfred"}, 4, "", ""},
		{"term on username", `{"query":{"term":{"username":"bob"}}}`, 0, 10, []string{"bob"}, 1, "", ""},
		{"prefix on username", `{"query":{"prefix":{"username":"al"}},"sort":["username"]}`, 0, 10, []string{"alfred", "alice"}, 2, "", ""},
		{"bool should", `{"query":{"bool":{"should":[{"term":{"username":"bob"}},{"term":{"username":"carol"}}]}},"sort":["username"]}`, 0, 10, []string{"bob", "carol"}, 2, "", ""},
		{"page", `{"sort":["username"]}`, 1, 2, []string{"alice", "bob"}, 4, "", ""},
		{"other keys ignored", `{"sort":["username"],"size":1,"_source":true}`, 0, 10, []string{"alfred", "alice", "bob", "carol"}, 4, "", ""},
		{"search on kuid", `{"query":{"term":{"kuid":"u1"}}}`, 0, 10, nil, 0, "security.rights.forbidden",
			`Forbidden field "kuid". Only the "username" or "kuid" fields are sortable and only the first is also searchable.`},
		{"search on the hash", `{"query":{"exists":{"field":"password"}}}`, 0, 10, nil, 0, "api.assert.forbidden_argument",
			`The "exists" keyword is not allowed in this search query for security concerns.`},
		{"match on password", `{"query":{"match":{"password":"x"}}}`, 0, 10, nil, 0, "security.rights.forbidden", ""},
		{"range", `{"query":{"range":{"username":{"gte":"a"}}}}`, 0, 10, nil, 0, "api.assert.forbidden_argument",
			`The "range" keyword is not allowed in this search query for security concerns.`},
		{"sort on updater", `{"sort":[{"updater":"asc"}]}`, 0, 10, nil, 0, "security.rights.forbidden", ""},
		{"bare sort name on the hash", `{"sort":["password"]}`, 0, 10, nil, 0, "security.rights.forbidden", ""},
		{"sort on _score", `{"sort":["_score"]}`, 0, 10, nil, 0, "api.assert.forbidden_argument", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := f.s.Search(context.Background(), jsonx.RawMessage(tc.body), tc.from, tc.size)
			wantErr(t, err, tc.id, tc.msg)
			if tc.id != "" {
				return
			}
			var got []string
			for _, h := range res.Hits {
				got = append(got, h.Username)
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("hits %v, want %v", got, tc.want)
			}
			if res.Total != tc.total {
				t.Fatalf("total %d, want %d", res.Total, tc.total)
			}
		})
	}

	res, err := f.s.Search(context.Background(), jsonx.RawMessage(`{"query":{"term":{"username":"bob"}}}`), 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := jsonx.Marshal(res)
	if string(b) != `{"hits":[{"username":"bob","kuid":"u1"}],"total":1}` {
		t.Fatalf("result %s", b)
	}
}
