package node_test

import (
	"bufio"
	"bytes"
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/starlingmq/starling/internal/config"
	"github.com/starlingmq/starling/internal/jsonx"
)

// startWSServer starts a node with MQTT over WebSocket on a free loopback
// port, changed by mutate, and returns it with the ws:// URL of its path.
func startWSServer(t *testing.T, mutate func(*config.Config)) (*testServer, string) {
	t.Helper()
	srv := startServer(t, func(cfg *config.Config) {
		cfg.Server.MQTT.WebSocket = config.MQTTWebSocket{Enabled: true, Host: "127.0.0.1", Port: 0, Path: "/mqtt"}
		if mutate != nil {
			mutate(cfg)
		}
	})
	addr := srv.node.MQTTWebSocketAddr()
	if addr == nil {
		t.Fatal("MQTT over WebSocket enabled but not listening")
	}
	return srv, "ws://" + addr.String() + "/mqtt"
}

// dialMQTTWS opens a WebSocket offering subprotocol and returns the wire client
// speaking MQTT over its binary messages, and the WebSocket itself.
func dialMQTTWS(t *testing.T, url, subprotocol string, version byte) (*wire, *websocket.Conn) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	ws, resp, err := websocket.Dial(ctx, url, &websocket.DialOptions{Subprotocols: []string{subprotocol}})
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade answered %d", resp.StatusCode)
	}
	if got := ws.Subprotocol(); got != subprotocol {
		t.Fatalf("subprotocol %q negotiated, want %q", got, subprotocol)
	}
	ws.SetReadLimit(-1)
	conn := websocket.NetConn(context.Background(), ws, websocket.MessageBinary)
	t.Cleanup(func() { _ = ws.CloseNow() })
	return &wire{t: t, conn: conn, r: bufio.NewReader(conn), version: version}, ws
}

func TestMQTTOverWebSocket(t *testing.T) {
	srv, url := startWSServer(t, nil)
	for _, v := range wireVersions {
		t.Run(v.name, func(t *testing.T) {
			w, _ := dialMQTTWS(t, url, "mqtt", v.version)
			w.mustConnect(connectOptions{})
			r := w.request(`{"controller":"server","action":"now","requestId":"ws-now"}`)
			if r.Status != 200 || r.RequestID != "ws-now" || r.Node != srv.node.ID() {
				t.Fatalf("unexpected answer %s", r.raw)
			}
			r = w.request(`{"controller":"realtime","action":"subscribe","index":"i","collection":"c","body":{"equals":{"k":"v"}}}`)
			var s sub
			if err := jsonx.Unmarshal(r.Result, &s); err != nil || r.Status != 200 || s.Channel == "" {
				t.Fatalf("realtime:subscribe failed: %s", r.raw)
			}
			if code := w.subscribe(s.Channel); code >= 0x80 {
				t.Fatalf("MQTT subscription to the channel refused: %#x", code)
			}

			// A plain MQTT client publishes; the WebSocket client is notified.
			pub := dialWire(t, srv.addr, 4)
			pub.mustConnect(connectOptions{})
			if r := pub.request(`{"controller":"realtime","action":"publish","index":"i","collection":"c","body":{"k":"v"},"_id":"d1"}`); r.Status != 200 {
				t.Fatalf("realtime:publish failed: %s", r.raw)
			}
			topic, payload := w.publishOf(w.next())
			var n notification
			if err := jsonx.Unmarshal(payload, &n); err != nil || topic != s.Channel ||
				n.Type != "document" || n.Action != "publish" || n.Scope != "in" || n.Result.ID != "d1" {
				t.Fatalf("notification on %s: %s", topic, payload)
			}
			w.disconnect(0)
		})
	}
}

// TestMQTTOverWebSocketFraming checks that messages are a byte stream: a
// packet split over messages, several packets in one message.
func TestMQTTOverWebSocketFraming(t *testing.T) {
	_, url := startWSServer(t, nil)
	w, _ := dialMQTTWS(t, url, "mqttv3.1", 4)
	connect := w.connectFrame(connectOptions{})
	w.send(connect[:3])
	w.send(connect[3:])
	if ack := w.next(); ack.kind != pkConnack || ack.code() != 0 {
		t.Fatalf("want CONNACK 0, got %#x %v", ack.kind, ack.body)
	}
	var both []byte
	for _, id := range []string{"a", "b"} {
		body := appendString(nil, "Kuzzle/request")
		both = append(both, frame(pkPublish, append(body, `{"controller":"server","action":"now","requestId":"`+id+`"}`...))...)
	}
	w.send(both)
	got := map[string]bool{}
	for range 2 {
		_, payload := w.publishOf(w.next())
		var r response
		if err := jsonx.Unmarshal(payload, &r); err != nil || r.Status != 200 {
			t.Fatalf("unexpected answer %s", payload)
		}
		got[r.RequestID] = true
	}
	if !got["a"] || !got["b"] {
		t.Fatalf("answers to a and b expected, got %v", got)
	}
}

// TestMQTTOverWebSocketBounds checks the listener's own bounds and that the
// MQTT rules apply: other paths, oversized messages, a forbidden publish.
func TestMQTTOverWebSocketBounds(t *testing.T) {
	_, url := startWSServer(t, func(cfg *config.Config) {
		cfg.Server.MaxRequestSize = 1024
		cfg.Server.MQTT.ConnectTimeout = 300 * time.Millisecond
	})

	resp, err := http.Get(strings.Replace(strings.TrimSuffix(url, "/mqtt")+"/other", "ws://", "http://", 1))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("another path answered %d, want 404", resp.StatusCode)
	}

	t.Run("message over maxPacketSize", func(t *testing.T) {
		w, _ := dialMQTTWS(t, url, "mqtt", 4)
		w.mustConnect(connectOptions{})
		// Two packets each under maxPacketSize (66,560 bytes here), in one
		// message over it.
		var msg []byte
		for _, size := range []int{60000, 10000} {
			body := appendString(nil, "Kuzzle/request")
			msg = append(msg, frame(pkPublish, append(body, bytes.Repeat([]byte("x"), size)...))...)
		}
		w.send(msg)
		for {
			_, err := w.read() // perhaps the answer to the first request
			if err == nil {
				continue
			}
			if code := websocket.CloseStatus(err); code != websocket.StatusMessageTooBig {
				t.Fatalf("closed with %v (%v), want 1009", code, err)
			}
			break
		}
	})
	t.Run("forbidden publish", func(t *testing.T) {
		w, _ := dialMQTTWS(t, url, "mqtt", 5)
		w.mustConnect(connectOptions{})
		w.publish("elsewhere", "x", 0, 0, nil)
		w.expectClosed()
	})
	t.Run("no CONNECT in time", func(t *testing.T) {
		w, _ := dialMQTTWS(t, url, "mqtt", 4)
		if got := w.expectClosed(); len(got) != 0 {
			t.Fatalf("packets before the close: %v", got)
		}
	})
}

// TestMQTTJSOverWebSocket drives the listener with MQTT.js (mqtt 5.16.0,
// installed by `npm ci --prefix bench/node`), the browser MQTT client:
// testdata/mqttjs_ws.js connects to ws://127.0.0.1:port/mqtt and sends
// Kuzzle requests.
func TestMQTTJSOverWebSocket(t *testing.T) {
	nodeBin, err := exec.LookPath("node")
	modules, _ := filepath.Abs(filepath.Join("..", "..", "bench", "node", "node_modules"))
	if err == nil {
		_, err = os.Stat(filepath.Join(modules, "mqtt", "package.json"))
	}
	if err != nil {
		if os.Getenv("STARLING_REQUIRE_ALL") == "1" {
			t.Fatalf("node or bench/node/node_modules/mqtt is missing (npm ci --prefix bench/node): %v", err)
		}
		t.Skipf("node or bench/node/node_modules/mqtt is missing (npm ci --prefix bench/node): %v", err)
	}
	_, url := startWSServer(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, nodeBin, filepath.Join("testdata", "mqttjs_ws.js"), url)
	cmd.Env = append(os.Environ(), "NODE_PATH="+modules)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("MQTT.js script failed: %v\n%s", err, out)
	}
	t.Logf("%s", out)
}

// TestMQTTOverWebSocketSlowClient checks the outbound bounds: a WebSocket
// client that stops reading is disconnected once its queue is full, and
// never makes the publisher wait on it.
func TestMQTTOverWebSocketSlowClient(t *testing.T) {
	srv, url := startWSServer(t, func(cfg *config.Config) {
		cfg.Server.MQTT.MaxPendingNotifications = 100
		cfg.Server.MQTT.MaxPendingBytes = 256 << 10
		cfg.Server.MQTT.WriteTimeout = time.Minute
	})
	slow, _ := dialMQTTWS(t, url, "mqtt", 4)
	slow.mustConnect(connectOptions{})
	r := slow.request(`{"controller":"realtime","action":"subscribe","index":"i","collection":"c","body":{}}`)
	var s sub
	if err := jsonx.Unmarshal(r.Result, &s); err != nil || r.Status != 200 {
		t.Fatalf("realtime:subscribe failed: %s", r.raw)
	}
	if code := slow.subscribe(s.Channel); code >= 0x80 {
		t.Fatalf("MQTT subscription to the channel refused: %#x", code)
	}

	pub := dialWire(t, srv.addr, 4)
	pub.mustConnect(connectOptions{})
	const published = 4000 // 16 MB of notifications: more than the sockets hold
	body := `{"controller":"realtime","action":"publish","index":"i","collection":"c","body":{"pad":"` + strings.Repeat("x", 4000) + `"}}`
	begin := time.Now()
	for range published {
		if r := pub.request(body); r.Status != 200 {
			t.Fatalf("realtime:publish failed: %s", r.raw)
		}
	}
	if d := time.Since(begin); d > 30*time.Second {
		t.Fatalf("publishing took %s: the publisher waited on the slow client", d)
	}
	got := slow.expectClosed()
	if len(got) >= published {
		t.Fatalf("the slow client got all %d notifications: not disconnected", len(got))
	}
}
