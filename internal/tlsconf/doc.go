// Package tlsconf owns the TLS certificates of Starling's listeners: it
// reads a certificate and its key (PEM files) and, optionally, a bundle of
// certificate authorities clients must present a certificate from, and
// builds the *tls.Config a listener wraps its sockets with (TLS 1.2 at
// least). Reload re-reads the files and swaps them at once: handshakes
// after it use the new certificate, connections already open keep theirs,
// and a reload that fails keeps the previous files' contents.
//
// tlsconf imports the standard library only; it must not import actors,
// internal/config or any listener.
package tlsconf
