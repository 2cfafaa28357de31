package config

import "fmt"

// TLS holds the keys that turn TLS on for one listener: server.tls.* for
// the HTTP and WebSocket port, server.protocols.mqtt.tls.* for MQTT. Both
// are Starling keys: Kuzzle has no TLS settings (it sits behind a proxy).
type TLS struct {
	// Enabled makes the listener speak TLS instead of plain TCP (default
	// false).
	Enabled bool
	// Cert is the PEM certificate file (the server's certificate, then its
	// intermediates), required when Enabled.
	Cert string
	// Key is the PEM private key file of Cert, required when Enabled.
	Key string
	// ClientCA, when not empty, is a PEM bundle of certificate
	// authorities: clients must present a certificate one of them signed.
	ClientCA string
}

// tlsDefaults are the defaults of one listener's tls keys.
func tlsDefaults() map[string]any {
	return map[string]any{"enabled": false, "cert": "", "key": "", "clientCA": ""}
}

// tls reads the tls keys under prefix ("server.tls"); cert and key are
// required when enabled is true. Whether the files can be read is checked
// when the listener starts.
func (r *reader) tls(prefix string) TLS {
	t := TLS{
		Enabled:  r.boolean(prefix + ".enabled"),
		Cert:     r.optionalString(prefix + ".cert"),
		Key:      r.optionalString(prefix + ".key"),
		ClientCA: r.optionalString(prefix + ".clientCA"),
	}
	if !t.Enabled {
		return t
	}
	if r.err == nil && (t.Cert == "" || t.Key == "") {
		key := "cert"
		if t.Cert != "" {
			key = "key"
		}
		r.err = fmt.Errorf("configuration key %s.%s: a file is required when %s.enabled is true", prefix, key, prefix)
	}
	return t
}
