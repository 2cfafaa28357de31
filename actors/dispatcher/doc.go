// Package dispatcher owns the request dispatcher actor: it turns MQTT
// payloads into API requests, validates them, routes them to controllers and
// delivers each answer, encoded once, to the client that asked (through its
// Responder) or to the actor that asked.
//
// Concurrency follows Kuzzle's funnel: at most limits.concurrentRequests
// actions run at once, up to limits.requestsBufferSize more wait in the
// dispatcher's queue, and requests beyond are refused with
// api.process.overloaded. Actions run on a pool of worker goroutines, one
// per concurrent slot, started on demand; the actor only counts them. An
// action its controller declares immediate is handed back to the goroutine
// that sent the request, when it still waits for it (Handoff): no worker
// wakes up for it. The actor's own mailbox runs on a pool.Pool that runs it
// on the sender's goroutine when it can, else on one long-lived goroutine.
//
// A Pipeline (plugin pipes and hooks, events.go) wraps an action in
// Kuzzle's funnel events when a plugin listens to them: request:onExecution
// and beforeACTION pipes run before it, afterACTION and request:onSuccess
// after it, errorACTION and request:onError on failure, all on the worker
// that runs the action; hooks are told after the answer is sent. A
// request no plugin listens to pays one lookup and no allocation. A plugin's
// own request (Dispatch.FromPlugin) fires events only with "triggerEvents":
// true. Such requests are never handed back to their sender (Handoff).
//
// dispatcher imports actors/pool, internal/api, internal/kerror and
// protoactor; it must not import the MQTT layer.
package dispatcher
