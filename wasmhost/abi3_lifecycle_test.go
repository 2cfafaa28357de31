package wasmhost_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/wasmhost"
)

// TestABI3Tick: starling_tick runs every tick, its API calls as the
// anonymous user on no connection, and stops when the module is removed.
func TestABI3Tick(t *testing.T) {
	s := startServerConfig(t, wasmhost.Config{}, map[string]string{"ticker": buildABI3(t, "-DTICK=100")})
	var last time.Time
	for i := 1; i <= 3; i++ {
		select {
		case p := <-s.published:
			var body struct {
				Tick int   `json:"tick"`
				Now  int64 `json:"now"`
			}
			if err := jsonx.Unmarshal([]byte(p.body), &body); err != nil || body.Tick != i {
				t.Fatalf("tick %d published %s", i, p.body)
			}
			if p.jwt != "" || p.conn.ID != "" || p.conn.Protocol != "" {
				t.Fatalf("tick's call ran as %q on %+v, want the anonymous user on no connection", p.jwt, p.conn)
			}
			now := time.UnixMilli(body.Now)
			if i > 1 && now.Sub(last) < 90*time.Millisecond {
				t.Fatalf("ticks %v apart, want 100ms", now.Sub(last))
			}
			last = now
		case <-time.After(wait):
			t.Fatalf("no tick %d", i)
		}
	}
	if err := os.Remove(filepath.Join(s.dir, "ticker.wasm")); err != nil {
		t.Fatal(err)
	}
	cl := connect(t, s.addr)
	deadline := time.Now().Add(wait)
	for {
		r := cl.call(t, `{"controller":"ticker/abi3","action":"ticks"}`)
		if r.Error != nil && r.Error.ID == "api.process.controller_not_found" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the module was not unloaded")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// A tick running during the unload may still publish; none after it.
	for len(s.published) > 0 {
		<-s.published
	}
	select {
	case p := <-s.published:
		t.Fatalf("a removed module ticked: %s", p.body)
	case <-time.After(300 * time.Millisecond): // three tick periods
	}
}

func TestABI3TickBadManifest(t *testing.T) {
	h := newHost(t, wasmhost.Config{}, nil)
	_, err := h.Load(context.Background(), install(t, t.TempDir(), "fast", buildABI3(t, "-DTICK=50")))
	if err == nil || !strings.Contains(err.Error(), "manifest tick 50: at least 100") {
		t.Fatalf("tick of 50 ms: %v", err)
	}
}

// TestABI3InitCalls: starling_init's API calls run as the anonymous user
// (whatever jwt the guest writes) on no connection, subscriptions refused.
func TestABI3InitCalls(t *testing.T) {
	s := startServerConfig(t, wasmhost.Config{Settings: map[string]wasmhost.Settings{
		"pub": {Config: jsonx.RawMessage(`{"initCall":{"controller":"realtime","action":"publish","index":"i","collection":"c","body":{"from":"init"},"jwt":"forged"}}`)},
		"sub": {Config: jsonx.RawMessage(`{"initCall":{"controller":"realtime","action":"subscribe","index":"i","collection":"c","body":{}}}`)},
	}}, map[string]string{"pub": buildABI3(t), "sub": buildABI3(t)})
	select {
	case p := <-s.published:
		if p.body != `{"from":"init"}` || p.jwt != "" || p.conn.ID != "" || p.conn.Protocol != "" {
			t.Fatalf("init published %+v, want the anonymous user on no connection", p)
		}
	case <-time.After(wait):
		t.Fatal("init published nothing")
	}
	cl := connect(t, s.addr)
	var seen struct {
		Call response `json:"call"`
	}
	r := cl.call(t, `{"controller":"pub/abi3","action":"init"}`)
	if err := jsonx.Unmarshal(r.Result, &seen); err != nil || seen.Call.Status != 200 {
		t.Fatalf("init's call answer: %s", r.raw)
	}
	r = cl.call(t, `{"controller":"sub/abi3","action":"init"}`)
	if err := jsonx.Unmarshal(r.Result, &seen); err != nil || seen.Call.Error == nil ||
		!strings.Contains(seen.Call.Error.Message, "realtime:subscribe needs a connection") {
		t.Fatalf("init's subscription: %s", r.raw)
	}
}

// TestABI3ObservedLifecycle: the Observer is told of init and tick calls.
func TestABI3ObservedLifecycle(t *testing.T) {
	obs := &observer{}
	h, err := wasmhost.New(context.Background(), wasmhost.Options{
		Config: wasmhost.Config{CacheDir: "-", Settings: map[string]wasmhost.Settings{
			"bad": {Config: jsonx.RawMessage(`{"failInit":true}`)},
		}}, Logger: testLogger(t), Observer: obs,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Close(context.Background()) })
	wasm := buildABI3(t, "-DTICK=100")
	dir := t.TempDir()
	if _, err := h.Load(context.Background(), install(t, dir, "good", wasm)); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Load(context.Background(), install(t, dir, "bad", wasm)); err == nil {
		t.Fatal("bad loaded")
	}
	want := []observed{{"good", wasmhost.KindInit, false}, {"bad", wasmhost.KindInit, true}, {"good", wasmhost.KindTick, false}}
	deadline := time.Now().Add(wait)
	for {
		obs.mu.Lock()
		calls := append([]observed(nil), obs.calls...)
		obs.mu.Unlock()
		found := 0
		for _, w := range want {
			for _, c := range calls {
				if c == w {
					found++
					break
				}
			}
		}
		if found == len(want) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("observed %v, want %v among them", calls, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
