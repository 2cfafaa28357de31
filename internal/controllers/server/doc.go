// Package server implements Kuzzle's "server" API controller: now, info,
// healthCheck, publicApi and metrics.
//
// Starling has no storage or cache service, so healthCheck reports the
// server alone and info lists no services.
//
// server imports internal/api only; what it reports about the running node
// comes in through Node.
package server
