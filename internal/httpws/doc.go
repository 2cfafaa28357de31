// Package httpws owns Kuzzle's HTTP and WebSocket door: one listener on
// server.port serving Kuzzle's HTTP routes (generated from Kuzzle's
// api/httpRoutes.js by gen_routes.js) and, on an upgrade, Kuzzle's
// WebSocket protocol; HTTPS and WSS instead when Config.TLS is set.
//
// An HTTP request becomes one Kuzzle request payload (URL placeholders,
// query string, body, Authorization bearer token and X-Kuzzle-Volatile
// header, as Kuzzle's router maps them) run under a connection id of its
// own; the answer's status is the HTTP status. A WebSocket client is a
// Session the Handler opens: each text frame is a request, answers carry
// "room": their requestId, and notifications the client's channels
// deliver carry "room": the channel, as Kuzzle sends them. The package
// bounds request and frame sizes, header size and read time, and each
// client's queue of unsent messages: a client that cannot keep up is
// disconnected.
//
// httpws imports internal/api, internal/kerror, internal/jsonx and
// github.com/coder/websocket; it must not import actors or internal/mqtt.
//
//go:generate sh -c "node gen_routes.js $KUZZLE_LIB/api/httpRoutes.js > routes_gen.go"
package httpws
