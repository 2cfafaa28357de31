package main

import (
	"crypto/tls"
	"net"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/starlingmq/starling/internal/tlsconf/tlstest"
)

var httpListening = regexp.MustCompile(`msg="HTTP/WebSocket listener started" address=(\S+) tls=true`)

// presented returns the common name of the certificate served on addr.
func presented(t *testing.T, addr string, cfg *tls.Config) string {
	t.Helper()
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: wait}, "tcp", addr, cfg)
	if err != nil {
		t.Fatalf("TLS handshake with %s: %v", addr, err)
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0].Subject.CommonName
}

// TestSIGHUPReloadsCertificates starts the server with TLS on both
// listeners, renews the files and sends SIGHUP: new handshakes get the new
// certificates. A SIGHUP with a broken key is logged at ERROR and changes
// nothing; the server runs on and stops normally.
func TestSIGHUPReloadsCertificates(t *testing.T) {
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	first, renewed := tlstest.NewAuthority(t, "first CA"), tlstest.NewAuthority(t, "renewed CA")
	first.Issue(t, "first").Write(t, cert, key)
	p := start(t, []string{
		"kuzzle_server__protocols__mqtt__server__port=0", "kuzzle_server__protocols__mqtt__server__host=127.0.0.1",
		"kuzzle_server__protocols__mqtt__tls__enabled=true",
		"kuzzle_server__protocols__mqtt__tls__cert=" + cert, "kuzzle_server__protocols__mqtt__tls__key=" + key,
		"kuzzle_server__tls__enabled=true", "kuzzle_server__tls__cert=" + cert, "kuzzle_server__tls__key=" + key,
	})
	httpAddr := httpListening.FindStringSubmatch(p.waitLine(t, `msg="HTTP/WebSocket listener started"`))
	if httpAddr == nil {
		t.Fatal("the HTTP listener does not say it speaks TLS")
	}
	mqttAddr := p.address(t)
	client := tlstest.ClientConfig(nil, first, renewed)
	for _, addr := range []string{mqttAddr, httpAddr[1]} {
		if name := presented(t, addr, client); name != "first" {
			t.Fatalf("%s presented %q at start", addr, name)
		}
	}

	renewed.Issue(t, "renewed").Write(t, cert, key)
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	p.waitLine(t, `level=INFO msg="SIGHUP: TLS certificates reloaded"`)
	for _, addr := range []string{mqttAddr, httpAddr[1]} {
		if name := presented(t, addr, client); name != "renewed" {
			t.Fatalf("%s presented %q after SIGHUP", addr, name)
		}
	}

	tlstest.WriteFile(t, key, []byte("not a key"))
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	line := p.waitLine(t, `level=ERROR msg="SIGHUP: TLS reload failed, previous certificates kept"`)
	if !strings.Contains(line, "server.protocols.mqtt.tls.key") || !strings.Contains(line, "server.tls.key") || !strings.Contains(line, key) {
		t.Fatalf("the error does not name the keys and the file: %s", line)
	}
	for _, addr := range []string{mqttAddr, httpAddr[1]} {
		if name := presented(t, addr, client); name != "renewed" {
			t.Fatalf("%s presented %q after a failed reload", addr, name)
		}
	}
	p.stop(t)
}

// TestTLSStartupError: a certificate file that does not exist stops the
// server at start with a message naming the key and the path.
func TestTLSStartupError(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing.pem")
	p := start(t, []string{
		"kuzzle_server__protocols__mqtt__server__port=0",
		"kuzzle_server__protocols__mqtt__tls__enabled=true",
		"kuzzle_server__protocols__mqtt__tls__cert=" + missing, "kuzzle_server__protocols__mqtt__tls__key=" + missing,
	})
	code, out := p.exitCode(t)
	if code != 1 || !strings.Contains(out, "server.protocols.mqtt.tls.cert") || !strings.Contains(out, missing) {
		t.Fatalf("exit %d, output:\n%s", code, out)
	}
}
