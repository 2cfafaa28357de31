package wasmhost_test

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/starlingmq/starling/internal/store/sqlite"
	"github.com/starlingmq/starling/internal/wasmstate"
	"github.com/starlingmq/starling/wasmhost"
)

// buildState compiles testdata/state.c as version v.
func buildState(t testing.TB, v int) string {
	clang := need(t, "clang-14")
	return build(t, fmt.Sprintf("state:v%d", v), func(out string) *exec.Cmd {
		return exec.Command(clang, "--target=wasm32-wasi", "--sysroot=/usr", "-O2", "-mexec-model=reactor",
			"-Wall", fmt.Sprintf("-DVERSION=%d", v), "-I", filepath.Join(root, "guests/c"), "-o", out,
			filepath.Join(root, "guests/c/starling.c"), "testdata/state.c")
	})
}

// openState opens a store in dir and the Wasm state on it, both closed
// with the test.
func openState(t testing.TB, dir string) *wasmstate.State {
	t.Helper()
	st, err := sqlite.Open(context.Background(), dir, sqlite.Options{Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	s, err := wasmstate.Open(context.Background(), st, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// stateHost is a host with a state on a fresh store.
func stateHost(t testing.TB, limits wasmhost.Limits) (*wasmhost.Host, *wasmstate.State) {
	t.Helper()
	s := openState(t, t.TempDir())
	h, err := wasmhost.New(context.Background(), wasmhost.Options{
		Config: wasmhost.Config{Limits: limits, CacheDir: filepath.Join(buildDir, "cache")},
		Logger: testLogger(t), State: s,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Close(context.Background()) })
	return h, s
}

// handle runs one action of the state guest and returns its result.
func handle(t testing.TB, m *wasmhost.Module, action, body string) string {
	t.Helper()
	payload := `{"controller":"` + m.ControllerName() + `","action":"` + action + `"`
	if body != "" {
		payload += `,"body":` + body
	}
	res, kerr := m.Handle(context.Background(), request(t, payload+"}"))
	if kerr != nil {
		t.Fatalf("%s %s: %v", action, body, kerr)
	}
	return string(res)
}

func TestStateActions(t *testing.T) {
	h, s := stateHost(t, wasmhost.Limits{StateQuota: 2000, StateValueSize: 300})
	m := load(t, h, "st", buildState(t, 1))
	steps := []struct{ action, body, want string }{
		{"get", `{"key":"a"}`, `{"status":-1}`},
		{"delete", `{"key":"a"}`, `{"status":0}`},
		{"set", `{"key":"a","value":{"x":[1,2]}}`, `{"status":0}`},
		{"get", `{"key":"a"}`, `{"status":11,"value":{"x":[1,2]}}`},
		{"set", `{"key":"a","value":"replaced"}`, `{"status":0}`},
		{"get", `{"key":"a"}`, `{"status":10,"value":"replaced"}`},
		{"set", `{"key":"empty","value":""}`, `{"status":0}`},
		{"delete", `{"key":"a"}`, `{"status":1}`},
		{"get", `{"key":"a"}`, `{"status":-1}`},
		{"delete", `{"key":"a"}`, `{"status":0}`},
		{"incr", `{"key":"n","delta":5}`, `{"status":0,"value":5}`},
		{"incr", `{"key":"n","delta":-7}`, `{"status":0,"value":-2}`},
		{"get", `{"key":"n"}`, `{"status":2,"value":-2}`},
		{"set", `{"key":"s","value":"12"}`, `{"status":0}`},
		{"incr", `{"key":"s","delta":1}`, `{"status":-4,"value":-12345}`},
		{"set", `{"key":"big","value":9223372036854775807}`, `{"status":0}`},
		{"incr", `{"key":"big","delta":1}`, `{"status":-2,"value":-12345}`},
		{"delete", `{"key":"big"}`, `{"status":1}`},
		// Sizes: keys 1 to 256 bytes, values up to StateValueSize.
		{"fill", `{"keysize":256,"size":1}`, `{"status":0}`},
		{"fill", `{"keysize":257,"size":1}`, `{"status":-2}`},
		{"fill", `{"keysize":0,"size":1}`, `{"status":-2}`},
		{"get", `{"key":""}`, `{"status":-2}`},
		{"delete", `{"key":""}`, `{"status":-2}`},
		{"incr", `{"key":"","delta":1}`, `{"status":-2,"value":-12345}`},
		{"fill", `{"key":"v","size":300}`, `{"status":0}`},
		{"fill", `{"key":"v","size":301}`, `{"status":-2}`},
		{"binary", ``, `{"set":0,"get":256,"same":true}`},
	}
	for _, st := range steps {
		if got := handle(t, m, st.action, st.body); got != st.want {
			t.Fatalf("%s %s: got %s, want %s", st.action, st.body, got, st.want)
		}
	}
	// Keys and values in use: empty 5+2 (`""`), n 1+2 (-2), s 1+4 ("12"),
	// k… 256+1, v 1+300, the binary key 256+256.
	used := s.Usage("st")
	want := int64(7 + 3 + 5 + 257 + 301 + 512)
	if used != want {
		t.Fatalf("usage %d, want %d", used, want)
	}
}

// TestStateQuota fills a module's quota from parallel calls: exactly the
// writes that fit succeed, the others get -3, and the count is exact;
// replacing or deleting a value gives its room back.
func TestStateQuota(t *testing.T) {
	const quota, size, writers = 1000, 98, 40 // 10 keys of 2+98 bytes fit
	h, s := stateHost(t, wasmhost.Limits{StateQuota: quota, PoolSize: 8})
	m := load(t, h, "q", buildState(t, 1))
	results := make([]string, writers)
	var wg sync.WaitGroup
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = handle(t, m, "fill", fmt.Sprintf(`{"key":"%02d","size":%d}`, i, size))
		}()
	}
	wg.Wait()
	ok, full := 0, 0
	for _, r := range results {
		switch r {
		case `{"status":0}`:
			ok++
		case `{"status":-3}`:
			full++
		default:
			t.Fatalf("fill: %s", r)
		}
	}
	if ok != quota/(size+2) || full != writers-ok || s.Usage("q") != int64(ok*(size+2)) {
		t.Fatalf("%d writes fit and %d did not, usage %d: want %d, %d and %d",
			ok, full, s.Usage("q"), quota/(size+2), writers-quota/(size+2), quota)
	}
	if got := handle(t, m, "incr", `{"key":"counter","delta":1}`); got != `{"status":-3,"value":-12345}` {
		t.Fatalf("incr past the quota: %s", got)
	}
	key := ""
	for i, r := range results {
		if r == `{"status":0}` {
			key = fmt.Sprintf("%02d", i)
			break
		}
	}
	if got := handle(t, m, "fill", `{"key":"`+key+`","size":9}`); got != `{"status":0}` {
		t.Fatalf("a smaller value in place of a larger one: %s", got)
	}
	if got := handle(t, m, "incr", `{"key":"counter","delta":1}`); got != `{"status":0,"value":1}` {
		t.Fatalf("incr in the room given back: %s", got)
	}
	if got := handle(t, m, "delete", `{"key":"`+key+`"}`); got != `{"status":1}` {
		t.Fatalf("delete: %s", got)
	}
	if want := int64(quota - (size + 2) + 8); s.Usage("q") != want {
		t.Fatalf("usage %d after the replace, incr and delete, want %d", s.Usage("q"), want)
	}
	if other := s.Usage("other"); other != 0 {
		t.Fatalf("another module's usage: %d", other)
	}
}

// TestStateIncrParallel: N parallel increments of one key give N.
func TestStateIncrParallel(t *testing.T) {
	const n = 200
	h, _ := stateHost(t, wasmhost.Limits{PoolSize: 8})
	m := load(t, h, "inc", buildState(t, 1))
	var wg sync.WaitGroup
	seen := make([]string, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			seen[i] = handle(t, m, "incr", `{"key":"hits","delta":1}`)
		}()
	}
	wg.Wait()
	values := map[string]bool{}
	for _, r := range seen {
		if values[r] {
			t.Fatalf("two increments answered %s", r)
		}
		values[r] = true
	}
	if got := handle(t, m, "get", `{"key":"hits"}`); got != fmt.Sprintf(`{"status":3,"value":%d}`, n) {
		t.Fatalf("after %d increments: %s", n, got)
	}
}

// TestStateSurvivesTrapAndReload: the state outlives the instance a trap
// replaces and the version a new file replaces; another module does not
// see it.
func TestStateSurvivesTrapAndReload(t *testing.T) {
	h, _ := stateHost(t, wasmhost.Limits{PoolSize: 1})
	dir := t.TempDir()
	load1, err := h.Load(context.Background(), install(t, dir, "keep", buildState(t, 1)))
	if err != nil {
		t.Fatal(err)
	}
	handle(t, load1, "set", `{"key":"k","value":[1]}`)
	if _, kerr := load1.Handle(context.Background(), request(t, `{"controller":"keep/state","action":"trap"}`)); kerr == nil ||
		!strings.Contains(kerr.Message, "unreachable") {
		t.Fatalf("trap: %v", kerr)
	}
	if got := handle(t, load1, "get", `{"key":"k"}`); got != `{"status":3,"value":[1]}` {
		t.Fatalf("after a trap: %s", got)
	}
	load2, err := h.Load(context.Background(), install(t, dir, "keep", buildState(t, 2)))
	if err != nil {
		t.Fatal(err)
	}
	if v := handle(t, load2, "version", ""); v != "2" {
		t.Fatalf("version %s", v)
	}
	if got := handle(t, load2, "get", `{"key":"k"}`); got != `{"status":3,"value":[1]}` {
		t.Fatalf("after a reload: %s", got)
	}
	other := load(t, h, "other", buildState(t, 1))
	if got := handle(t, other, "get", `{"key":"k"}`); got != `{"status":-1}` {
		t.Fatalf("another module reads %s", got)
	}
	// A key outside memory traps the guest, and only it.
	if _, kerr := load2.Handle(context.Background(), request(t, `{"controller":"keep/state","action":"badptr"}`)); kerr == nil ||
		!strings.Contains(kerr.Message, "outside memory") {
		t.Fatalf("badptr: %v", kerr)
	}
	if got := handle(t, load2, "get", `{"key":"k"}`); got != `{"status":3,"value":[1]}` {
		t.Fatalf("after badptr: %s", got)
	}
}

// TestStateWithoutStore: a host without State answers -5.
func TestStateWithoutStore(t *testing.T) {
	h := newHost(t, wasmhost.Config{}, nil)
	m := load(t, h, "nostore", buildState(t, 1))
	for _, c := range []struct{ action, body, want string }{
		{"set", `{"key":"a","value":1}`, `{"status":-5}`},
		{"get", `{"key":"a"}`, `{"status":-5}`},
		{"delete", `{"key":"a"}`, `{"status":-5}`},
		{"incr", `{"key":"a","delta":1}`, `{"status":-5,"value":-12345}`},
	} {
		if got := handle(t, m, c.action, c.body); got != c.want {
			t.Fatalf("%s: %s, want %s", c.action, got, c.want)
		}
	}
}
