package tlsconf_test

import (
	"bufio"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/starlingmq/starling/internal/tlsconf"
	"github.com/starlingmq/starling/internal/tlsconf/tlstest"
)

const wait = 10 * time.Second

// setup writes a server certificate signed by a new authority into a
// temporary directory and returns its files and the authority.
func setup(t *testing.T) (tlsconf.Files, *tlstest.Authority) {
	t.Helper()
	dir := t.TempDir()
	files := tlsconf.Files{Cert: filepath.Join(dir, "cert.pem"), Key: filepath.Join(dir, "key.pem")}
	ca := tlstest.NewAuthority(t, "first CA")
	ca.Issue(t, "first").Write(t, files.Cert, files.Key)
	return files, ca
}

// echo serves cfg on 127.0.0.1:0: every line a client sends comes back.
func echo(t *testing.T, cfg *tls.Config) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln = tls.NewListener(ln, cfg)
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_, _ = io.Copy(c, c)
			}()
		}
	}()
	return ln.Addr().String()
}

// dial opens a TLS connection and checks one line goes round.
func dial(addr string, cfg *tls.Config) (*tls.Conn, error) {
	d := &net.Dialer{Timeout: wait}
	c, err := tls.DialWithDialer(d, "tcp", addr, cfg)
	if err != nil {
		return nil, err
	}
	if err := roundTrip(c); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// roundTrip sends one line on c and reads it back.
func roundTrip(c net.Conn) error {
	_ = c.SetDeadline(time.Now().Add(wait))
	if _, err := io.WriteString(c, "ping\n"); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if line != "ping\n" {
		return errors.New("echo answered " + line)
	}
	return nil
}

func TestReloadSwapsCertificateAndKeepsConnections(t *testing.T) {
	files, ca := setup(t)
	certs, err := tlsconf.Load(files)
	if err != nil {
		t.Fatal(err)
	}
	addr := echo(t, certs.Config())
	second := tlstest.NewAuthority(t, "second CA")
	client := tlstest.ClientConfig(nil, ca, second)
	before, err := dial(addr, client)
	if err != nil {
		t.Fatal(err)
	}
	defer before.Close()
	if cn := before.ConnectionState().PeerCertificates[0].Subject.CommonName; cn != "first" {
		t.Fatalf("first handshake saw %q", cn)
	}

	second.Issue(t, "second").Write(t, files.Cert, files.Key)
	if err := certs.Reload(); err != nil {
		t.Fatal(err)
	}
	if cn := certs.Leaf().Subject.CommonName; cn != "second" {
		t.Fatalf("Leaf after reload: %q", cn)
	}
	after, err := dial(addr, client)
	if err != nil {
		t.Fatal(err)
	}
	defer after.Close()
	if cn := after.ConnectionState().PeerCertificates[0].Subject.CommonName; cn != "second" {
		t.Fatalf("handshake after reload saw %q", cn)
	}
	if err := roundTrip(before); err != nil {
		t.Fatalf("connection opened before the reload: %v", err)
	}
}

func TestFailedReloadKeepsCertificate(t *testing.T) {
	files, ca := setup(t)
	certs, err := tlsconf.Load(files)
	if err != nil {
		t.Fatal(err)
	}
	addr := echo(t, certs.Config())
	other := tlstest.NewAuthority(t, "other CA").Issue(t, "other")
	tests := []struct {
		name, field, path string
		breakFiles        func()
	}{
		{"key not PEM", "key", files.Key, func() { tlstest.WriteFile(t, files.Key, []byte("not a key")) }},
		{"key of another certificate", "key", files.Key, func() { tlstest.WriteFile(t, files.Key, other.KeyPEM) }},
		{"certificate not PEM", "cert", files.Cert, func() { tlstest.WriteFile(t, files.Cert, []byte("garbage")) }},
		{"certificate missing", "cert", files.Cert, func() { os.Remove(files.Cert) }},
	}
	good := ca.Issue(t, "first")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			good.Write(t, files.Cert, files.Key)
			tt.breakFiles()
			err := certs.Reload()
			var fe *tlsconf.FileError
			if !errors.As(err, &fe) || fe.Field != tt.field || fe.Path != tt.path || !strings.Contains(err.Error(), tt.path) {
				t.Fatalf("want an error on %s %s, got %v", tt.field, tt.path, err)
			}
			c, err := dial(addr, tlstest.ClientConfig(nil, ca))
			if err != nil {
				t.Fatalf("handshake after a failed reload: %v", err)
			}
			c.Close()
		})
	}
}

func TestLoadErrors(t *testing.T) {
	files, _ := setup(t)
	missing := filepath.Join(t.TempDir(), "nope.pem")
	notPEM := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(notPEM, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		files tlsconf.Files
		field string
	}{
		{"no certificate given", tlsconf.Files{Key: files.Key}, "cert"},
		{"missing key", tlsconf.Files{Cert: files.Cert, Key: missing}, "key"},
		{"missing CA", tlsconf.Files{Cert: files.Cert, Key: files.Key, ClientCA: missing}, "clientCA"},
		{"CA without certificate", tlsconf.Files{Cert: files.Cert, Key: files.Key, ClientCA: notPEM}, "clientCA"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tlsconf.Load(tt.files)
			var fe *tlsconf.FileError
			if !errors.As(err, &fe) || fe.Field != tt.field {
				t.Fatalf("want an error on %s, got %v", tt.field, err)
			}
		})
	}
}

func TestClientCertificates(t *testing.T) {
	files, ca := setup(t)
	clients := tlstest.NewAuthority(t, "clients CA")
	files.ClientCA = filepath.Join(filepath.Dir(files.Cert), "clients.pem")
	tlstest.WriteFile(t, files.ClientCA, clients.PEM)
	certs, err := tlsconf.Load(files)
	if err != nil {
		t.Fatal(err)
	}
	addr := echo(t, certs.Config())
	if _, err := dial(addr, tlstest.ClientConfig(nil, ca)); err == nil {
		t.Fatal("a client without a certificate was served")
	}
	stranger := tlstest.NewAuthority(t, "stranger CA").Issue(t, "stranger")
	if _, err := dial(addr, tlstest.ClientConfig(stranger, ca)); err == nil {
		t.Fatal("a client with a certificate of another authority was served")
	}
	c, err := dial(addr, tlstest.ClientConfig(clients.Issue(t, "alice"), ca))
	if err != nil {
		t.Fatalf("a client with a certificate of the authority: %v", err)
	}
	c.Close()

	// The bundle is reloaded with the rest: an empty one is refused, a new
	// one replaces the first.
	tlstest.WriteFile(t, files.ClientCA, nil)
	if err := certs.Reload(); err == nil {
		t.Fatal("an empty CA bundle was accepted")
	}
	strangers := tlstest.NewAuthority(t, "strangers CA")
	tlstest.WriteFile(t, files.ClientCA, strangers.PEM)
	if err := certs.Reload(); err != nil {
		t.Fatal(err)
	}
	if c, err := dial(addr, tlstest.ClientConfig(strangers.Issue(t, "bob"), ca)); err != nil {
		t.Fatalf("a client of the reloaded authority: %v", err)
	} else {
		c.Close()
	}
	if _, err := dial(addr, tlstest.ClientConfig(clients.Issue(t, "carol"), ca)); err == nil {
		t.Fatal("a client of the replaced authority was served")
	}
}

func TestMinimumVersion(t *testing.T) {
	files, ca := setup(t)
	certs, err := tlsconf.Load(files)
	if err != nil {
		t.Fatal(err)
	}
	addr := echo(t, certs.Config())
	old := tlstest.ClientConfig(nil, ca)
	old.MinVersion, old.MaxVersion = tls.VersionTLS10, tls.VersionTLS11
	if _, err := dial(addr, old); err == nil {
		t.Fatal("a TLS 1.1 client was served")
	}
	modern := tlstest.ClientConfig(nil, ca)
	modern.MaxVersion = tls.VersionTLS12
	c, err := dial(addr, modern)
	if err != nil {
		t.Fatalf("TLS 1.2: %v", err)
	}
	c.Close()
}
