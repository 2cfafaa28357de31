package node_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/starlingmq/starling/actors/node"
	"github.com/starlingmq/starling/internal/config"
	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/tlsconf/tlstest"
)

// tlsFiles are a listener's PEM files in a test's temporary directory.
type tlsFiles struct {
	cert, key, clientCA string
	ca                  *tlstest.Authority // signed the certificate in cert
}

// newTLSFiles writes a certificate named name, signed by a new authority.
func newTLSFiles(t *testing.T, name string) *tlsFiles {
	t.Helper()
	dir := t.TempDir()
	f := &tlsFiles{cert: filepath.Join(dir, "cert.pem"), key: filepath.Join(dir, "key.pem"), ca: tlstest.NewAuthority(t, name+" CA")}
	f.ca.Issue(t, name).Write(t, f.cert, f.key)
	return f
}

// conf returns the tls keys that point at the files.
func (f *tlsFiles) conf() config.TLS {
	return config.TLS{Enabled: true, Cert: f.cert, Key: f.key, ClientCA: f.clientCA}
}

// startTLSServer starts a node with TLS on both listeners.
func startTLSServer(t *testing.T, mqttFiles, httpFiles *tlsFiles) *testServer {
	t.Helper()
	return startServer(t, func(c *config.Config) {
		c.Server.MQTT.TLS = mqttFiles.conf()
		c.Server.TLS = httpFiles.conf()
	})
}

// dialWireTLS opens a TLS socket to the MQTT listener; nothing is sent yet.
func dialWireTLS(t *testing.T, addr string, cfg *tls.Config) (*wire, error) {
	t.Helper()
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: wait}, "tcp", addr, cfg)
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { conn.Close() })
	return &wire{t: t, conn: conn, r: bufio.NewReader(conn), version: 4}, nil
}

// peerName is the common name of the certificate the server presented.
func peerName(c net.Conn) string {
	return c.(*tls.Conn).ConnectionState().PeerCertificates[0].Subject.CommonName
}

// checkNow checks an answer to server:now.
func checkNow(t *testing.T, r response) {
	t.Helper()
	var result struct {
		Now int64 `json:"now"`
	}
	if r.Status != 200 || jsonx.Unmarshal(r.Result, &result) != nil || result.Now <= 0 {
		t.Fatalf("server:now over TLS: %s", r.raw)
	}
}

func TestMQTTOverTLS(t *testing.T) {
	files := newTLSFiles(t, "mqtt")
	srv := startTLSServer(t, files, newTLSFiles(t, "http"))
	w, err := dialWireTLS(t, srv.addr, tlstest.ClientConfig(nil, files.ca))
	if err != nil {
		t.Fatal(err)
	}
	w.mustConnect(connectOptions{})
	checkNow(t, w.request(`{"controller":"server","action":"now","requestId":"tls"}`))
	if name := peerName(w.conn); name != "mqtt" {
		t.Fatalf("MQTT presented %q", name)
	}

	// A plaintext client: its CONNECT is no TLS handshake, the socket closes
	// without a CONNACK.
	plain := dialWire(t, srv.addr, 4)
	plain.send(plain.connectFrame(connectOptions{}))
	_ = plain.conn.SetReadDeadline(time.Now().Add(wait))
	got, err := io.ReadAll(plain.conn)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatal("the TLS port kept a plaintext client open")
	}
	if len(got) > 0 && got[0]&0xf0 == pkConnack {
		t.Fatalf("a plaintext client got a CONNACK: %x", got)
	}
}

// httpsClient returns an HTTP client for cfg.
func httpsClient(cfg *tls.Config) *http.Client {
	return &http.Client{Timeout: wait, Transport: &http.Transport{TLSClientConfig: cfg}}
}

func TestHTTPSAndWSS(t *testing.T) {
	files := newTLSFiles(t, "http")
	srv := startTLSServer(t, newTLSFiles(t, "mqtt"), files)
	addr := srv.node.HTTPAddr().String()
	client := httpsClient(tlstest.ClientConfig(nil, files.ca))
	resp, err := client.Get("https://" + addr + "/_now")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"result":{"now":`) || resp.TLS == nil {
		t.Fatalf("GET /_now over HTTPS: %d %s", resp.StatusCode, body)
	}

	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "wss://"+addr+"/", &websocket.DialOptions{HTTPClient: client})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseNow()
	ws := &wsClient{t: t, conn: conn}
	if m := ws.call(`{"controller":"server","action":"now","requestId":"wss"}`); m.Status != 200 || !strings.Contains(string(m.Result), `"now":`) {
		t.Fatalf("server:now over WSS: %s", m.raw)
	}

	// A plaintext HTTP request gets Go's refusal, never a Kuzzle answer.
	resp, err = (&http.Client{Timeout: wait}).Get("http://" + addr + "/_now")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || strings.Contains(string(body), "now") {
		t.Fatalf("plain HTTP on the TLS port: %d %s", resp.StatusCode, body)
	}
}

func TestTLSClientCertificates(t *testing.T) {
	clients := tlstest.NewAuthority(t, "clients CA")
	mqttFiles, httpFiles := newTLSFiles(t, "mqtt"), newTLSFiles(t, "http")
	for _, f := range []*tlsFiles{mqttFiles, httpFiles} {
		f.clientCA = filepath.Join(filepath.Dir(f.cert), "clients.pem")
		tlstest.WriteFile(t, f.clientCA, clients.PEM)
	}
	srv := startTLSServer(t, mqttFiles, httpFiles)
	alice := clients.Issue(t, "alice")
	stranger := tlstest.NewAuthority(t, "stranger CA").Issue(t, "mallory")

	for _, refused := range []*tlstest.Issued{nil, stranger} {
		w, err := dialWireTLS(t, srv.addr, tlstest.ClientConfig(refused, mqttFiles.ca))
		if err == nil { // TLS 1.3: the client learns of the refusal on its first read
			w.send(w.connectFrame(connectOptions{}))
			if p, err := w.read(); err == nil {
				t.Fatalf("MQTT client certificate %v: got packet %#x", refused != nil, p.kind)
			}
		}
		if _, err := httpsClient(tlstest.ClientConfig(refused, httpFiles.ca)).Get("https://" + srv.node.HTTPAddr().String() + "/_now"); err == nil {
			t.Fatalf("HTTPS client certificate %v: served", refused != nil)
		}
	}
	w, err := dialWireTLS(t, srv.addr, tlstest.ClientConfig(alice, mqttFiles.ca))
	if err != nil {
		t.Fatal(err)
	}
	w.mustConnect(connectOptions{})
	checkNow(t, w.request(`{"controller":"server","action":"now","requestId":"alice"}`))
	resp, err := httpsClient(tlstest.ClientConfig(alice, httpFiles.ca)).Get("https://" + srv.node.HTTPAddr().String() + "/_now")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("HTTPS with a client certificate: %d", resp.StatusCode)
	}
}

// httpConn is a TLS connection carrying HTTP/1.1 requests one after the
// other.
type httpConn struct {
	conn *tls.Conn
	r    *bufio.Reader
}

func dialHTTPS(t *testing.T, addr string, cfg *tls.Config) *httpConn {
	t.Helper()
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: wait}, "tcp", addr, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &httpConn{conn: conn, r: bufio.NewReader(conn)}
}

// now sends GET /_now on the connection and checks the answer.
func (c *httpConn) now(t *testing.T) {
	t.Helper()
	_ = c.conn.SetDeadline(time.Now().Add(wait))
	if _, err := io.WriteString(c.conn, "GET /_now HTTP/1.1\r\nHost: localhost\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(c.r, nil)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || !strings.Contains(string(body), `"result":{"now":`) {
		t.Fatalf("GET /_now: %d %s %v", resp.StatusCode, body, err)
	}
}

func TestTLSReload(t *testing.T) {
	mqttFiles, httpFiles := newTLSFiles(t, "mqtt"), newTLSFiles(t, "http")
	srv := startTLSServer(t, mqttFiles, httpFiles)
	httpAddr := srv.node.HTTPAddr().String()
	renewed := tlstest.NewAuthority(t, "renewed CA")
	mqttClient := tlstest.ClientConfig(nil, mqttFiles.ca, renewed)
	httpClient := tlstest.ClientConfig(nil, httpFiles.ca, renewed)

	mqttBefore, err := dialWireTLS(t, srv.addr, mqttClient)
	if err != nil {
		t.Fatal(err)
	}
	mqttBefore.mustConnect(connectOptions{})
	httpBefore := dialHTTPS(t, httpAddr, httpClient)
	httpBefore.now(t)

	renewed.Issue(t, "mqtt renewed").Write(t, mqttFiles.cert, mqttFiles.key)
	renewed.Issue(t, "http renewed").Write(t, httpFiles.cert, httpFiles.key)
	if err := srv.node.ReloadTLS(); err != nil {
		t.Fatal(err)
	}
	mqttAfter, err := dialWireTLS(t, srv.addr, mqttClient)
	if err != nil {
		t.Fatal(err)
	}
	if name := peerName(mqttAfter.conn); name != "mqtt renewed" {
		t.Fatalf("MQTT handshake after the reload saw %q", name)
	}
	mqttAfter.mustConnect(connectOptions{})
	checkNow(t, mqttAfter.request(`{"controller":"server","action":"now","requestId":"after"}`))
	httpAfter := dialHTTPS(t, httpAddr, httpClient)
	if name := peerName(httpAfter.conn); name != "http renewed" {
		t.Fatalf("HTTPS handshake after the reload saw %q", name)
	}
	httpAfter.now(t)
	// Connections opened before the reload go on.
	checkNow(t, mqttBefore.request(`{"controller":"server","action":"now","requestId":"before"}`))
	httpBefore.now(t)

	// A broken key: the reload fails naming the key and the file, and the
	// listener keeps the renewed certificate.
	tlstest.WriteFile(t, mqttFiles.key, []byte("-----BEGIN PRIVATE KEY-----\nbroken\n-----END PRIVATE KEY-----\n"))
	err = srv.node.ReloadTLS()
	if err == nil || !strings.Contains(err.Error(), "server.protocols.mqtt.tls.key") || !strings.Contains(err.Error(), mqttFiles.key) {
		t.Fatalf("reload with a broken key: %v", err)
	}
	kept, err := dialWireTLS(t, srv.addr, mqttClient)
	if err != nil {
		t.Fatal(err)
	}
	if name := peerName(kept.conn); name != "mqtt renewed" {
		t.Fatalf("MQTT handshake after a failed reload saw %q", name)
	}
	kept.mustConnect(connectOptions{})
	checkNow(t, kept.request(`{"controller":"server","action":"now","requestId":"kept"}`))
	if err := os.Remove(httpFiles.cert); err != nil {
		t.Fatal(err)
	}
	if err := srv.node.ReloadTLS(); err == nil || !strings.Contains(err.Error(), "server.tls.cert") || !strings.Contains(err.Error(), httpFiles.cert) {
		t.Fatalf("reload with a missing certificate: %v", err)
	}
	dialHTTPS(t, httpAddr, httpClient).now(t)
}

func TestTLSStartupErrors(t *testing.T) {
	good := newTLSFiles(t, "good")
	missing := filepath.Join(t.TempDir(), "missing.pem")
	tests := []struct {
		name   string
		mutate func(*config.Config)
		want   []string
	}{
		{"MQTT certificate missing", func(c *config.Config) {
			c.Server.MQTT.TLS = config.TLS{Enabled: true, Cert: missing, Key: good.key}
		}, []string{"server.protocols.mqtt.tls.cert", missing}},
		{"HTTP key missing", func(c *config.Config) {
			c.Server.TLS = config.TLS{Enabled: true, Cert: good.cert, Key: missing}
		}, []string{"server.tls.key", missing}},
		{"client CA missing", func(c *config.Config) {
			c.Server.TLS = config.TLS{Enabled: true, Cert: good.cert, Key: good.key, ClientCA: missing}
		}, []string{"server.tls.clientCA", missing}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := config.Load(config.Sources{})
			if err != nil {
				t.Fatal(err)
			}
			cfg.Server.MQTT.Host, cfg.Server.MQTT.Port = "127.0.0.1", 0
			cfg.Server.Host, cfg.Server.Port = "127.0.0.1", 0
			cfg.Storage.Path = t.TempDir()
			tt.mutate(cfg)
			n, err := node.Start(node.Options{Config: cfg, Logger: slog.New(slog.DiscardHandler)})
			if err == nil {
				_ = n.Shutdown(context.Background())
				t.Fatal("the node started")
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Fatalf("error %q does not name %s", err, want)
				}
			}
		})
	}
}

// TestMQTTOverWSS: MQTT over WebSocket with TLS on its listener.
func TestMQTTOverWSS(t *testing.T) {
	files := newTLSFiles(t, "mqtt-ws")
	srv := startServer(t, func(c *config.Config) {
		c.Server.MQTT.WebSocket.Enabled = true
		c.Server.MQTT.WebSocket.Port = 0
		c.Server.MQTT.WebSocket.TLS = files.conf()
	})
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	client := httpsClient(tlstest.ClientConfig(nil, files.ca))
	ws, _, err := websocket.Dial(ctx, "wss://"+srv.node.MQTTWebSocketAddr().String()+"/mqtt",
		&websocket.DialOptions{HTTPClient: client, Subprotocols: []string{"mqtt"}})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	conn := websocket.NetConn(context.Background(), ws, websocket.MessageBinary)
	w := &wire{t: t, conn: conn, r: bufio.NewReader(conn), version: 4}
	w.mustConnect(connectOptions{})
	if r := w.request(`{"controller":"server","action":"now","requestId":"wss-now"}`); r.Status != 200 || r.RequestID != "wss-now" {
		t.Fatalf("server:now over MQTT over WSS: %s", r.raw)
	}
	// A plain WebSocket upgrade on that port gets no answer from MQTT.
	if plain, _, err := websocket.Dial(ctx, "ws://"+srv.node.MQTTWebSocketAddr().String()+"/mqtt",
		&websocket.DialOptions{Subprotocols: []string{"mqtt"}}); err == nil {
		plain.CloseNow()
		t.Fatal("a plain ws:// upgrade succeeded on the WSS listener")
	}
}
