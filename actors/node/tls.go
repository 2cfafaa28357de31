package node

import (
	"crypto/tls"
	"errors"
	"fmt"

	"github.com/starlingmq/starling/internal/config"
	"github.com/starlingmq/starling/internal/tlsconf"
)

// listenerCerts are the certificates of one listener, with the
// configuration key they come from.
type listenerCerts struct {
	key   string // "server.tls" or "server.protocols.mqtt.tls"
	certs *tlsconf.Certificates
}

// loadTLS reads the files of one listener's tls keys, nil when TLS is off.
// An error names the key and the path.
func (n *Node) loadTLS(key string, c config.TLS) (*tls.Config, error) {
	if !c.Enabled {
		return nil, nil
	}
	certs, err := tlsconf.Load(tlsconf.Files{Cert: c.Cert, Key: c.Key, ClientCA: c.ClientCA})
	if err != nil {
		return nil, keyError(key, err)
	}
	n.certs = append(n.certs, listenerCerts{key: key, certs: certs})
	leaf := certs.Leaf()
	n.log.Info("TLS certificate loaded", "key", key, "subject", leaf.Subject.String(),
		"notAfter", leaf.NotAfter, "clientCertificates", c.ClientCA != "")
	return certs.Config(), nil
}

// keyError prefixes err with the configuration key of the file at fault.
func keyError(key string, err error) error {
	var fe *tlsconf.FileError
	if errors.As(err, &fe) {
		return fmt.Errorf("configuration key %s.%s: %w", key, fe.Field, err)
	}
	return fmt.Errorf("configuration key %s: %w", key, err)
}

// ReloadTLS re-reads the certificate, key and client CA files of every
// listener with TLS on: handshakes after it use them, connections already
// open are kept. A listener whose files cannot be used keeps its previous
// certificates; the error names each such key and file. Safe to call at
// any time after Start.
func (n *Node) ReloadTLS() error {
	var errs []error
	for _, l := range n.certs {
		if err := l.certs.Reload(); err != nil {
			errs = append(errs, keyError(l.key, err))
		}
	}
	return errors.Join(errs...)
}

// TLSListeners returns the configuration keys of the listeners with TLS
// on ("server.tls", "server.protocols.mqtt.tls").
func (n *Node) TLSListeners() []string {
	keys := make([]string, len(n.certs))
	for i, l := range n.certs {
		keys[i] = l.key
	}
	return keys
}
