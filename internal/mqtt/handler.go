package mqtt

import "errors"

// Handler is the owner of the clients' sessions: the server hands it each
// accepted client and asks it which topics are realtime channels.
type Handler interface {
	// Open starts the session of a client whose CONNECT was accepted,
	// before its CONNACK is sent.
	Open(c *Conn) Session
	// Reserved reports whether topic is a live realtime channel: nobody may
	// publish there, and only the session may let its client subscribe. It
	// must be cheap and safe for concurrent use.
	Reserved(topic string) bool
}

// Session is one client's session as its owner sees it. Its methods are
// called on the client's read goroutine, in the order of the client's
// packets.
type Session interface {
	// Request hands over a payload published on the request topic; the
	// payload is the session's to keep. The answer goes to reply, once.
	Request(payload []byte, reply *Reply)
	// Subscribe asks whether the client may subscribe to a realtime
	// channel's topic, and makes it a subscriber if so. It may wait for
	// other actors, a bounded time; the SUBACK waits for it.
	Subscribe(topic string) bool
	// Unsubscribe reports that the client unsubscribed from a channel's
	// topic.
	Unsubscribe(topic string)
	// Closed reports that the client is gone. Nothing follows.
	Closed()
}

// Authenticator is implemented by a Handler that checks the credentials of
// CONNECT packets.
type Authenticator interface {
	// Authenticate checks a CONNECT's user name and password (hasUsername
	// is false when the packet has none) and returns the identity the
	// client's session acts as ("" for anonymous), or ErrBadCredentials or
	// ErrNotAuthorized, or ErrServerBusy when it cannot check them now.
	// It runs on the client's read goroutine, before
	// anything else of the client is handled.
	Authenticate(username string, password []byte, hasUsername bool) (identity string, err error)
}

// Refusals of Authenticate: the CONNACK says 0x04 (MQTT 3.1.1) or 0x86
// (MQTT 5) for ErrBadCredentials, 0x05 or 0x87 for ErrNotAuthorized, 0x03
// (server unavailable) or 0x89 (server busy) for ErrServerBusy.
var (
	ErrBadCredentials = errors.New("bad user name or password")
	ErrNotAuthorized  = errors.New("not authorized")
	ErrServerBusy     = errors.New("server busy")
)
