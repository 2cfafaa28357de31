// Package realtime owns Kuzzle's realtime subsystem: the rooms actor (one
// per server, Kuzzle's "hotel clerk"), which keeps every room — a filter
// with its subscribed connections and its channels — and the realtime API
// controller (subscribe, join, unsubscribe, count, list, publish).
//
// The message flow:
//
//	subscribe ──normalize (worker)──▶ rooms ──spawn──▶ channel actor
//	          ◀──{roomId, channel}───┘   └──user "in"──▶ other channels
//	          ──Granted──▶ connection (its client may now MQTT-subscribe)
//	publish ──test (publisher's read goroutine)──▶ channel actors ──▶ subscribers' queues
//
// A room's id is its normalized filter's id; a channel is a room seen with
// given scope and users options, named roomId-<digits> as in Kuzzle. The
// rooms actor publishes, for each room, a read-only view of its channels;
// publish reads those views on the goroutine that runs it, so matching and
// fan-out never queue behind subscriptions. publish is an immediate action
// (it never blocks) unless a stored filter uses the wasm keyword: it then
// runs on the read goroutine of the client that sent it, and an idle
// channel actor handles its notification on that goroutine too, with no
// hand-off to another thread; with wasm filters it runs on a worker.
//
// The rooms actor also holds the subscription limits: the rooms of the
// server (limits.subscriptionRooms) and of one connection
// (limits.subscriptionRoomsPerConnection). It counts every refusal, those
// of the engine's minterms limit included, for server:metrics, and logs the
// first of each limit per connection.
//
// realtime imports actors/channel, actors/connection, actors/realtime/roommsg, internal/api,
// internal/kerror, internal/koncorde and internal/jsonx.
package realtime
