package tlsconf

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
)

// Files names the PEM files of one listener.
type Files struct {
	// Cert is the certificate file, the server's certificate first and
	// then its intermediates.
	Cert string
	// Key is the private key file of the certificate.
	Key string
	// ClientCA, when not empty, is a bundle of certificate authorities:
	// every client must present a certificate one of them signed.
	ClientCA string
}

// FileError reports a file that could not be read or used. Field says
// which of Files it is: "cert", "key" or "clientCA".
type FileError struct {
	Field string
	Path  string
	Err   error
}

// Error names the file and its path.
func (e *FileError) Error() string {
	return fmt.Sprintf("TLS %s file %q: %v", e.Field, e.Path, e.Err)
}

// Unwrap returns the cause.
func (e *FileError) Unwrap() error { return e.Err }

// Certificates serves the certificate of one listener and reloads it. It
// is safe for concurrent use.
type Certificates struct {
	files   Files
	reload  sync.Mutex // one Reload at a time
	current atomic.Pointer[tls.Config]
}

// Load reads the files once; the error is a *FileError naming the first
// file that could not be used.
func Load(files Files) (*Certificates, error) {
	c := &Certificates{files: files}
	if err := c.Reload(); err != nil {
		return nil, err
	}
	return c, nil
}

// Reload re-reads the files and, when all of them are usable, makes them
// the ones new handshakes see. On error nothing changes and the error is a
// *FileError naming the file at fault.
func (c *Certificates) Reload() error {
	c.reload.Lock()
	defer c.reload.Unlock()
	cfg, err := build(c.files)
	if err != nil {
		return err
	}
	c.current.Store(cfg)
	return nil
}

// Files returns the files the certificates are read from.
func (c *Certificates) Files() Files { return c.files }

// Leaf returns the server certificate handshakes present now.
func (c *Certificates) Leaf() *x509.Certificate {
	return c.current.Load().Certificates[0].Leaf
}

// Config returns the configuration a listener wraps its sockets with: each
// handshake takes the certificates current at that moment.
func (c *Certificates) Config() *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
			return c.current.Load(), nil
		},
	}
}

// build reads the files into the configuration of one handshake.
func build(files Files) (*tls.Config, error) {
	certPEM, err := readFile("cert", files.Cert)
	if err != nil {
		return nil, err
	}
	keyPEM, err := readFile("key", files.Key)
	if err != nil {
		return nil, err
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		// X509KeyPair checks the certificate first, then the key and
		// that the two match: a key problem is reported on the key.
		field, path := "key", files.Key
		if !certOK(certPEM) {
			field, path = "cert", files.Cert
		}
		return nil, &FileError{Field: field, Path: path, Err: err}
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{pair}}
	if files.ClientCA == "" {
		return cfg, nil
	}
	caPEM, err := readFile("clientCA", files.ClientCA)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, &FileError{Field: "clientCA", Path: files.ClientCA, Err: errors.New("no PEM certificate in it")}
	}
	cfg.ClientCAs, cfg.ClientAuth = pool, tls.RequireAndVerifyClientCert
	return cfg, nil
}

// readFile reads one of the files; a path left empty is an error too.
func readFile(field, path string) ([]byte, error) {
	if path == "" {
		return nil, &FileError{Field: field, Path: path, Err: errors.New("no file given")}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, &FileError{Field: field, Path: path, Err: err}
	}
	return b, nil
}

// certOK reports whether a PEM file holds a certificate that parses, to
// tell a bad certificate from a bad key.
func certOK(certPEM []byte) bool {
	for rest := certPEM; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return false
		}
		if block.Type == "CERTIFICATE" {
			_, err := x509.ParseCertificate(block.Bytes)
			return err == nil
		}
	}
}
