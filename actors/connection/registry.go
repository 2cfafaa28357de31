package connection

import (
	"github.com/asynkron/protoactor-go/actor"
)

// Count asks the registry how many connections are alive; it answers with
// an int. A connection counts until its disconnect delay has passed.
type Count struct{}

// CountByProtocol asks the registry how many connections are alive by
// protocol ("mqtt", "websocket"); it answers with a map[string]int that
// always has "mqtt".
type CountByProtocol struct{}

// List asks the registry for the PIDs of every live connection; it answers
// with a []*actor.PID.
type List struct{}

// track tells the registry about a new connection actor.
type track struct {
	pid      *actor.PID
	protocol string
}

// untrack tells the registry a connection actor stops. Connection actors
// say so themselves rather than being watched: a watch costs every
// connection an extra context and set, several hundred bytes.
type untrack struct{ pid *actor.PID }

// registry knows the live connection actors.
type registry struct {
	live     map[string]*actor.PID
	protocol map[string]string // by PID id
}

// RegistryProps returns the props of a connection registry.
func RegistryProps() *actor.Props {
	return actor.PropsFromProducer(func() actor.Actor {
		return &registry{live: map[string]*actor.PID{}, protocol: map[string]string{}}
	})
}

// Receive handles the registry's messages.
func (r *registry) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case track:
		r.live[msg.pid.Id] = msg.pid
		r.protocol[msg.pid.Id] = msg.protocol
	case untrack:
		delete(r.live, msg.pid.Id)
		delete(r.protocol, msg.pid.Id)
	case Count:
		ctx.Respond(len(r.live))
	case CountByProtocol:
		counts := map[string]int{"mqtt": 0}
		for _, p := range r.protocol {
			counts[p]++
		}
		ctx.Respond(counts)
	case List:
		pids := make([]*actor.PID, 0, len(r.live))
		for _, pid := range r.live {
			pids = append(pids, pid)
		}
		ctx.Respond(pids)
	}
}
