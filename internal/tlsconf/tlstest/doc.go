// Package tlstest makes certificates for tests: a certificate authority
// made on the spot (ECDSA P-256) and certificates it signs for 127.0.0.1
// and localhost, written as PEM files, and the client configurations that
// trust them.
//
// tlstest imports the standard library only; only tests import it.
package tlstest
