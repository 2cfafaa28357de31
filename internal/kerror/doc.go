// Package kerror owns Kuzzle's error model: the catalogue of error ids with
// their numeric codes, HTTP-like statuses and message templates, and the one
// Error type every Kuzzle error on the wire is built from.
//
// Ids, codes, classes and messages are Kuzzle 2.x's own, so that a client
// matching on an id or a code cannot tell Starling from Kuzzle. The code of
// an error is (domain << 24) | (subdomain << 16) | error.
//
// kerror imports nothing of Starling's: every other package may import it.
package kerror
