package wasmhost_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/starlingmq/starling/actors/node"
	"github.com/starlingmq/starling/internal/config"
	"github.com/starlingmq/starling/internal/jsonx"
)

// TestWasmFilterInRealtime subscribes with the "wasm" keyword over MQTT,
// combined with a built-in keyword, on a node whose configuration names the
// module directory, and checks which published documents are notified.
func TestWasmFilterInRealtime(t *testing.T) {
	dir := t.TempDir()
	install(t, dir, "geofence-filter", buildC(t, "../examples/geofence-filter/geofence_filter.c"))
	cfg, err := config.Load(config.Sources{})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Server.MQTT.Host, cfg.Server.MQTT.Port = "127.0.0.1", 0
	cfg.Server.Host, cfg.Server.Port = "127.0.0.1", 0
	cfg.Storage.Path = t.TempDir()
	cfg.Wasm.Dir, cfg.Wasm.DirSet, cfg.Wasm.CacheDir = dir, true, filepath.Join(buildDir, "cache")
	n, err := node.Start(node.Options{Config: cfg, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		defer cancel()
		_ = n.Shutdown(ctx)
	})
	cl := connect(t, n.MQTTAddr().String())
	r := cl.call(t, `{"controller":"realtime","action":"subscribe","index":"fleet","collection":"trucks","body":{"and":[
		{"equals":{"kind":"truck"}},
		{"wasm":{"module":"geofence-filter","filter":"near","args":{"lat":43.6045,"lon":1.444,"distance":5000}}}]}}`)
	var sub struct{ Channel string }
	if err := jsonx.Unmarshal(r.Result, &sub); err != nil || r.Status != 200 {
		t.Fatalf("subscribe: %s", r.raw)
	}
	notified := make(chan string, 16)
	tok := cl.c.Subscribe(sub.Channel, 0, func(_ paho.Client, m paho.Message) { notified <- string(m.Payload()) })
	if !tok.WaitTimeout(wait) || tok.Error() != nil {
		t.Fatalf("subscribe to the channel: %v", tok.Error())
	}
	for _, doc := range []string{
		`{"kind":"truck","name":"far","location":{"lat":43.3,"lon":5.37}}`,
		`{"kind":"van","name":"near but a van","location":{"lat":43.6,"lon":1.44}}`,
		`{"kind":"truck","name":"near","location":{"lat":43.6,"lon":1.44}}`,
	} {
		if r := cl.call(t, `{"controller":"realtime","action":"publish","index":"fleet","collection":"trucks","body":`+doc+`}`); r.Status != 200 {
			t.Fatalf("publish: %s", r.raw)
		}
	}
	// A channel delivers in publishing order: had either of the first two
	// documents matched, it would come first.
	select {
	case got := <-notified:
		if !strings.Contains(got, `"name":"near"`) {
			t.Fatalf("a document the filter refuses was notified: %s", got)
		}
	case <-time.After(wait):
		t.Fatal("the matching document was not notified")
	}

	bad := cl.call(t, `{"controller":"realtime","action":"subscribe","index":"fleet","collection":"trucks","body":{"wasm":{"module":"nope","filter":"near"}}}`)
	if bad.Error == nil || bad.Error.ID != "api.assert.koncorde_dsl_error" || !strings.Contains(bad.Error.Message, "nope") {
		t.Fatalf("an unknown module must be refused: %s", bad.raw)
	}
}
