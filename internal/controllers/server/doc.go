// Package server implements Kuzzle's "server" API controller: now, info,
// healthCheck, publicApi, metrics, and the statistics frames of getStats,
// getLastStats and getAllStats.
//
// Statistics keeps the frames in memory, in a ring bounded by stats.ttl /
// stats.statsInterval, where Kuzzle keeps them in Redis: they do not
// survive a restart. Kuzzle 2.56 serializes its per-protocol Maps with
// JSON.stringify, so its frames come out as empty objects; Starling
// reports the counts Kuzzle means to: completedRequests and failedRequests
// during the frame, ongoingRequests and connections at its end, each by
// protocol. getLastStats returns the last frame with its own timestamp.
//
// Starling has no storage or cache service, so healthCheck reports the
// server alone and info lists no services.
//
// server imports internal/api, internal/jsonx and internal/kerror only;
// what it reports about the running node comes in through Node.
package server
