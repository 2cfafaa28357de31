package node_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/starlingmq/starling/internal/config"
	"github.com/starlingmq/starling/internal/jsonx"
)

// andOfOrs is an and of n two-way ors over distinct fields: 2n conditions,
// 2^n minterms.
func andOfOrs(n int) string {
	ors := make([]string, n)
	for i := range ors {
		ors[i] = fmt.Sprintf(`{"or":[{"equals":{"a%d":1}},{"equals":{"b%d":1}}]}`, i, i)
	}
	return `{"and":[` + strings.Join(ors, ",") + `]}`
}

// subscribeRequest is realtime:subscribe's request for a filter.
func subscribeRequest(filter string) string {
	return `{"controller":"realtime","action":"subscribe","index":"i","collection":"c","body":` + filter + `}`
}

func TestSubscriptionLimits(t *testing.T) {
	srv := startServer(t, func(c *config.Config) { c.Limits.SubscriptionRoomsPerConnection = 3 })
	greedy, other := connect3(t, srv.addr), connect5(t, srv.addr)

	// 14 ors: 1.5 KB of JSON, 16,384 minterms, over the default 256.
	r := request(t, greedy, subscribeRequest(andOfOrs(14)))
	if r.Error == nil || r.Error.ID != "core.realtime.too_many_terms" || r.Status != 413 || r.Error.Status != 413 ||
		r.Error.Message != "Unable to subscribe: maximum number of terms exceeded (max 256, received 16384)." {
		t.Fatalf("14 ors: %s", r.raw)
	}
	// 8 ors: 256 minterms, at the limit.
	r = request(t, greedy, subscribeRequest(andOfOrs(8)))
	if r.Status != 200 {
		t.Fatalf("8 ors: %s", r.raw)
	}
	if r := request(t, greedy, `{"controller":"realtime","action":"unsubscribe","body":{"roomId":"`+roomID(t, r)+`"}}`); r.Status != 200 {
		t.Fatalf("unsubscribe: %s", r.raw)
	}

	for i := range 3 {
		subscribe(t, greedy, fmt.Sprintf(`{"equals":{"kind":"k%d"}}`, i), "")
	}
	r = request(t, greedy, subscribeRequest(`{"equals":{"kind":"k3"}}`))
	if r.Error == nil || r.Error.ID != "core.realtime.too_many_rooms" || r.Status != 413 {
		t.Fatalf("a 4th room: %s", r.raw)
	}
	if r := request(t, greedy, subscribeRequest(`{"equals":{"kind":"k1"}}`)); r.Status != 200 {
		t.Fatalf("a room the connection is in: %s", r.raw)
	}
	s := subscribe(t, other, `{"equals":{"kind":"k3"}}`, "")
	r = request(t, greedy, `{"controller":"realtime","action":"join","body":{"roomId":"`+s.RoomID+`"}}`)
	if r.Error == nil || r.Error.ID != "core.realtime.too_many_rooms" {
		t.Fatalf("joining a 4th room: %s", r.raw)
	}

	r = request(t, other, `{"controller":"server","action":"metrics"}`)
	var m struct {
		API      map[string]int   `json:"api"`
		Network  map[string]any   `json:"network"`
		Realtime map[string]int   `json:"realtime"`
		Refused  map[string]int64 `json:"refused"`
	}
	if err := jsonx.Unmarshal(r.Result, &m); err != nil || r.Status != 200 {
		t.Fatalf("metrics: %v: %s", err, r.raw)
	}
	if m.Refused["core.realtime.too_many_terms"] != 1 || m.Refused["core.realtime.too_many_rooms"] != 2 || len(m.Refused) != 2 {
		t.Fatalf("refusals not counted: %s", r.raw)
	}
	if m.Realtime["rooms"] != 4 || m.Realtime["subscriptions"] != 2 || m.Network["connections"] == nil || m.API == nil {
		t.Fatalf("other metrics: %s", r.raw)
	}
}

func TestMetricsRefusedEmpty(t *testing.T) {
	srv := startServer(t, nil)
	c := connect3(t, srv.addr)
	r := request(t, c, `{"controller":"server","action":"metrics"}`)
	if !strings.Contains(string(r.Result), `"refused":{}`) {
		t.Fatalf("refused must be an empty object: %s", r.raw)
	}
}

// roomID reads realtime:subscribe's roomId.
func roomID(t *testing.T, r response) string {
	t.Helper()
	var s sub
	if err := jsonx.Unmarshal(r.Result, &s); err != nil || s.RoomID == "" {
		t.Fatalf("no roomId: %s", r.raw)
	}
	return s.RoomID
}
