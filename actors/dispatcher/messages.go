package dispatcher

import (
	"github.com/asynkron/protoactor-go/actor"

	"github.com/starlingmq/starling/internal/api"
)

// Dispatch asks the dispatcher to answer one payload published on the
// request topic. The answer goes to ReplyTo as a Response.
type Dispatch struct {
	// Payload is the raw request.
	Payload []byte
	// Connection identifies the sender.
	Connection api.Connection
	// Responder, when set, gets the encoded answer directly from the worker
	// that ran the action: one hand-off less than a message. It must not
	// block.
	Responder Responder
	// Handoff, when set, lets the sender run an immediate action itself:
	// it calls Handoff.Run right after sending.
	Handoff *Handoff
	// FromPlugin says a plugin (a Wasm guest's starling.call) sent the
	// request: it fires pipes and hooks only when its payload sets
	// "triggerEvents": true, as Kuzzle's executePluginRequest does.
	FromPlugin bool
	// ReplyTo receives the answer as a Response when there is no Responder;
	// when nil too, the sender of the message does (a future, for callers
	// outside actors).
	ReplyTo *actor.PID
}

// Responder delivers an encoded answer to a client without blocking.
type Responder interface {
	// Respond queues the payload for the client. The payload is the
	// caller's again once Respond returns: a Responder that keeps it must
	// copy it.
	Respond(payload []byte) error
}

// Register adds a controller to the API, or replaces the one of that name.
// Requests already running finish on the controller they started with.
type Register struct {
	// Controller is the controller to route to.
	Controller api.Controller
}

// Unregister removes the controller of that name from the API.
type Unregister struct {
	// Name is the controller's name.
	Name string
}

// Response is the encoded answer to one request, sent to the connection
// actor that asked.
type Response struct {
	// RequestID is the answered request's id.
	RequestID string
	// Payload is the response JSON.
	Payload []byte
}

// Drain tells the dispatcher the server is shutting down: requests that
// arrive afterwards are refused with network.entrypoint.shutting_down, and
// the dispatcher responds with Drained once nothing runs or waits.
type Drain struct{}

// Drained answers Drain when no request is left.
type Drained struct{}

// Stats asks for the dispatcher's counters; the answer is a StatsResult.
type Stats struct{}

// StatsResult holds the dispatcher's counters.
type StatsResult struct {
	// Running is the number of actions running.
	Running int
	// Pending is the number of requests waiting for a slot.
	Pending int
	// Ongoing counts the running actions by protocol.
	Ongoing map[string]int64
	// Completed and Failed count, by protocol, the requests answered with
	// a success or an error since the dispatcher started.
	Completed, Failed map[string]int64
}

// Routes asks for every controller and its sorted actions; the answer is a
// map[string][]string.
type Routes struct{}

// finished reports that one action completed, with its request's protocol
// and whether it failed.
type finished struct {
	protocol string
	failed   bool
}
