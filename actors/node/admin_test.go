package node_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/starlingmq/starling/internal/config"
)

func TestAdminController(t *testing.T) {
	c := storageClient(t)
	runChecks(t, c, []check{
		{"loadMappings", "admin", "loadMappings", `"body":{"nyc":{"yellow":{"dynamic":"strict","properties":{"name":{"type":"keyword"}}},"green":{}}}`, `{"acknowledge":true}`, ""},
		{"mapping loaded", "collection", "getMapping", `"index":"nyc","collection":"yellow"`, `{"dynamic":"strict","properties":{"name":{"type":"keyword"}}}`, ""},
		{"loadMappings again merges", "admin", "loadMappings", `"body":{"nyc":{"yellow":{"properties":{"age":{"type":"integer"}}}}}`, `{"acknowledge":true}`, ""},
		{"mapping merged", "collection", "getMapping", `"index":"nyc","collection":"yellow"`, `{"dynamic":"strict","properties":{"age":{"type":"integer"},"name":{"type":"keyword"}}}`, ""},
		{"loadMappings bad index", "admin", "loadMappings", `"body":{"N":{"a":{}}}`, "", "services.storage.invalid_index_name"},
		{"loadMappings not object", "admin", "loadMappings", `"body":{"nyc":[]}`, "", "api.assert.invalid_argument"},
		{"loadMappings no body", "admin", "loadMappings", ``, "", "api.assert.body_required"},
		{"loadFixtures", "admin", "loadFixtures", `"body":{"nyc":{"yellow":[{"create":{"_id":"a"}},{"name":"A"},{"index":{"_id":"b"}},{"name":"B"},{"update":{"_id":"b"}},{"doc":{"age":3}}]}}`, `null`, ""},
		{"fixture created", "document", "get", `"index":"nyc","collection":"yellow","_id":"b"`, "*", ""},
		{"loadFixtures refused line", "admin", "loadFixtures", `"body":{"nyc":{"yellow":[{"create":{"_id":"a"}},{"name":"again"},{"delete":{"_id":"b"}}]}}`, "", "services.storage.import_failed"},
		{"fixture deleted", "document", "get", `"index":"nyc","collection":"yellow","_id":"b"`, "", "services.storage.not_found"},
		{"loadFixtures unknown collection", "admin", "loadFixtures", `"body":{"nyc":{"blue":[]}}`, "", "services.storage.unknown_collection"},
		{"loadFixtures bad lines", "admin", "loadFixtures", `"body":{"nyc":{"yellow":[{"create":{"_id":"z"}}]}}`, "", "api.assert.invalid_argument"},
		{"refreshIndexCache", "admin", "refreshIndexCache", ``, `null`, ""},
		{"resetCache", "admin", "resetCache", `"database":"memoryStorage"`, `{"acknowledge":true}`, ""},
		{"resetCache internal", "admin", "resetCache", `"database":"internalCache"`, `{"acknowledge":true}`, ""},
		{"resetCache unknown", "admin", "resetCache", `"database":"other"`, "", "services.cache.database_not_found"},
		{"resetCache missing", "admin", "resetCache", ``, "", "api.assert.missing_argument"},
		{"dump", "admin", "dump", ``, `{"acknowledge":true}`, ""},
		{"shutdown", "admin", "shutdown", ``, "", "security.rights.unauthorized"},
		{"resetSecurity", "admin", "resetSecurity", ``, `{"deletedProfiles":3,"deletedRoles":3,"deletedUsers":0}`, ""},
		{"loadSecurities", "admin", "loadSecurities", `"body":{}`, `{"acknowledge":true}`, ""},
		{"specification", "collection", "updateSpecifications", `"index":"nyc","collection":"yellow","body":{"strict":true}`, `{"strict":true}`, ""},
		{"resetDatabase", "admin", "resetDatabase", ``, `{"acknowledge":true}`, ""},
		{"indexes gone", "index", "list", ``, `{"indexes":[]}`, ""},
		{"specifications gone", "collection", "searchSpecifications", ``, `{"hits":[],"total":0}`, ""},
		{"still up", "server", "now", ``, "*", ""},
	})
}

// statsFrame is one frame of server:getStats.
type statsFrame struct {
	Timestamp         int64            `json:"timestamp"`
	CompletedRequests map[string]int64 `json:"completedRequests"`
	Connections       map[string]int   `json:"connections"`
	FailedRequests    map[string]int64 `json:"failedRequests"`
	OngoingRequests   map[string]int64 `json:"ongoingRequests"`
}

// statsPage is server:getStats' result.
type statsPage struct {
	Hits  []statsFrame `json:"hits"`
	Total int          `json:"total"`
}

func TestServerStatsBeforeFirstFrame(t *testing.T) {
	c := storageClient(t) // stats.statsInterval is 10s: no frame is written during the test
	mustCall(t, c, "server", "now", ``)
	mustCall(t, c, "server", "now", ``)
	call(t, c, "index", "delete", `"index":"nope"`)
	var page statsPage
	mustDecode(t, mustCall(t, c, "server", "getAllStats", ``).Result, &page)
	if page.Total != 1 || len(page.Hits) != 1 {
		t.Fatalf("getAllStats: %+v", page)
	}
	f := page.Hits[0]
	// The answer of a request goes out before its end is counted: the
	// counts of the last requests may lag by one.
	if f.CompletedRequests["mqtt"] < 1 || f.FailedRequests["mqtt"] > 1 || f.Connections["mqtt"] != 1 || f.OngoingRequests["mqtt"] < 1 {
		t.Errorf("frame in progress: %+v", f)
	}
	if d := time.Since(time.UnixMilli(f.Timestamp)); d < 0 || d > wait {
		t.Errorf("timestamp %d", f.Timestamp)
	}
	var last statsFrame
	mustDecode(t, mustCall(t, c, "server", "getLastStats", ``).Result, &last)
	if last.Connections["mqtt"] != 1 || last.CompletedRequests["mqtt"] < f.CompletedRequests["mqtt"] {
		t.Errorf("getLastStats: %+v", last)
	}
	future := time.Now().Add(time.Hour).UnixMilli()
	runChecks(t, c, []check{
		{"startTime in the future", "server", "getStats", `"startTime":` + itoa(future), `{"hits":[],"total":0}`, ""},
		{"stopTime in the past", "server", "getStats", `"stopTime":"2000-01-01"`, `{"hits":[],"total":0}`, ""},
		{"bad startTime", "server", "getStats", `"startTime":"yesterday"`, "", "api.assert.invalid_argument"},
	})
}

func TestServerStatsFrames(t *testing.T) {
	srv := startServer(t, func(cfg *config.Config) { cfg.Stats.Interval = 20 * time.Millisecond })
	c := connect3(t, srv.addr)
	if code := c.subscribe("Kuzzle/response"); code != 0 {
		t.Fatalf("subscribe: %#x", code)
	}
	// Frames are written in the background: ask until two are.
	var page statsPage
	deadline := time.Now().Add(wait)
	for page.Total < 2 && time.Now().Before(deadline) {
		mustDecode(t, mustCall(t, c, "server", "getAllStats", ``).Result, &page)
	}
	if page.Total < 2 {
		t.Fatalf("no two frames written: %+v", page)
	}
	for i, f := range page.Hits {
		if f.Connections["mqtt"] != 1 || f.CompletedRequests == nil || f.FailedRequests == nil || f.OngoingRequests == nil {
			t.Errorf("frame %d: %+v", i, f)
		}
		if i > 0 && f.Timestamp <= page.Hits[i-1].Timestamp {
			t.Errorf("frames out of order: %+v", page.Hits)
		}
	}
	var last statsFrame
	mustDecode(t, mustCall(t, c, "server", "getLastStats", ``).Result, &last)
	if last.Timestamp < page.Hits[len(page.Hits)-1].Timestamp {
		t.Errorf("getLastStats %+v is older than the last frame listed", last)
	}
	// From the first frame: a later one exists, so the clock has passed
	// it (a startTime that is now or later answers nothing, as in Kuzzle).
	from := page.Hits[0].Timestamp
	var since statsPage
	mustDecode(t, mustCall(t, c, "server", "getStats", `"startTime":`+itoa(from)).Result, &since)
	if since.Total < 2 || since.Hits[0].Timestamp < from {
		t.Errorf("getStats since %d: %+v (all: %+v)", from, since, page)
	}
}

func TestServerStatsDisabled(t *testing.T) {
	srv := startServer(t, func(cfg *config.Config) { cfg.Stats.Enabled = false })
	c := connect3(t, srv.addr)
	if code := c.subscribe("Kuzzle/response"); code != 0 {
		t.Fatalf("subscribe: %#x", code)
	}
	for _, action := range []string{"getStats", "getLastStats", "getAllStats"} {
		if r := call(t, c, "server", action, ``); errorID(r) != "services.statistics.not_available" {
			t.Errorf("%s: %s", action, r.raw)
		}
	}
}

func TestPublicAPIListsStorageControllers(t *testing.T) {
	c := storageClient(t)
	var routes map[string]map[string]struct {
		Action     string `json:"action"`
		Controller string `json:"controller"`
	}
	mustDecode(t, mustCall(t, c, "server", "publicApi", ``).Result, &routes)
	want := map[string][]string{
		"collection": {"create", "delete", "deleteSpecifications", "exists", "getMapping", "getSettings", "getSpecifications", "list",
			"refresh", "scrollSpecifications", "searchSpecifications", "truncate", "update", "updateMapping", "updateSpecifications", "validateSpecifications"},
		"admin":  {"dump", "loadFixtures", "loadMappings", "loadSecurities", "refreshIndexCache", "resetCache", "resetDatabase", "resetSecurity", "shutdown"},
		"index":  {"create", "delete", "exists", "list", "mDelete", "stats"},
		"server": {"getAllStats", "getLastStats", "getStats", "info", "now", "publicApi"},
	}
	for controller, actions := range want {
		for _, action := range actions {
			if got := routes[controller][action]; got.Action != action || got.Controller != controller {
				t.Errorf("publicApi lacks %s:%s: %+v", controller, action, got)
			}
		}
	}
	var info struct {
		ServerInfo struct {
			Kuzzle struct {
				API struct {
					Routes map[string]map[string]any `json:"routes"`
				} `json:"api"`
			} `json:"kuzzle"`
		} `json:"serverInfo"`
	}
	mustDecode(t, mustCall(t, c, "server", "info", ``).Result, &info)
	if len(info.ServerInfo.Kuzzle.API.Routes["collection"]) != len(want["collection"]) || len(info.ServerInfo.Kuzzle.API.Routes["admin"]) != len(want["admin"]) {
		t.Errorf("server:info routes: %v", info.ServerInfo.Kuzzle.API.Routes)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
