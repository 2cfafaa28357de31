package dispatcher

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/starlingmq/starling/actors/pool"
	"github.com/starlingmq/starling/internal/api"
	"github.com/starlingmq/starling/internal/kerror"
)

// Config configures the dispatcher.
type Config struct {
	// Node is the server id written in every response.
	Node string
	// MaxRequestSize is the largest payload accepted, in bytes.
	MaxRequestSize int
	// ConcurrentRequests is how many actions run at once.
	ConcurrentRequests int
	// RequestsBufferSize is how many requests may wait for a slot.
	RequestsBufferSize int
	// WarningThreshold is the waiting count that logs a warning.
	WarningThreshold int
	// Controllers are the API controllers requests are routed to.
	Controllers []api.Controller
	// Guard, when set, admits each request before its action runs.
	Guard Guard
	// Logger receives the dispatcher's logs.
	Logger *slog.Logger
	// Observer, when set, is told about every answered request.
	Observer Observer
	// Pipeline, when set, runs plugin pipes and hooks on the requests'
	// events (events.go).
	Pipeline Pipeline
}

// Observer is told about every answered request (metrics). It is called
// from the goroutine that answered, concurrently: it must be safe for
// concurrent use and cheap. Requests refused before their action ran
// (unparsable, unknown controller or action, overloaded, shutting down)
// are observed with empty controller and action, which keeps the labels a
// client can create bounded, and a zero latency.
type Observer interface {
	// ObserveRequest reports one answer: the request's controller and
	// action, the response status, and the time since the dispatcher
	// received the request.
	ObserveRequest(controller, action string, status int, elapsed time.Duration)
}

// job is one routed request waiting for, or holding, an action slot.
type job struct {
	req    *api.Request
	action api.Action
	reply  reply
	// events are the pipes and hooks of the request's events, nil when
	// none listens.
	events Events
	// received is when the dispatcher got the request; zero without an
	// Observer, which alone reads it.
	received time.Time
}

// reply is where an answer goes: a Responder, else a PID.
type reply struct {
	responder Responder
	pid       *actor.PID
}

// dispatcher is the actor; see the package documentation.
type dispatcher struct {
	cfg     Config
	routes  map[string]api.Controller
	root    *actor.RootContext
	self    *actor.PID
	ctx     context.Context
	cancel  context.CancelFunc
	running int
	queue   []job // FIFO: queue[0] runs next
	// jobs feeds the workers. Its capacity is ConcurrentRequests and at most
	// that many jobs run, so sending never blocks.
	jobs    chan job
	workers int
	mailbox *pool.Pool // the one goroutine the actor's mailbox runs on
	warned  bool

	draining bool
	drainers []*actor.PID

	// counts feeds server:getStats: requests by protocol.
	counts counts

	// buffers holds the buffers answers are encoded in before a Responder
	// copies them into its packet.
	buffers sync.Pool
}

// pooledBuffer is the largest answer buffer kept for reuse.
const pooledBuffer = 16 << 10

// Props returns the props of a dispatcher configured by cfg.
//
// The actor's mailbox runs on one long-lived goroutine instead of a fresh
// goroutine per burst of messages: parsing JSON needs a deep stack, and a
// fresh goroutine would grow and copy its stack on every burst, which cost
// more than the parsing itself. A mailbox schedules a run only when none is
// in progress or while its run is returning, so a queue of one is never
// full and every run stays on that goroutine.
func Props(cfg Config) *actor.Props {
	mailbox := pool.New(1, 1, pool.Inline(4))
	return actor.PropsFromProducer(func() actor.Actor {
		d := newDispatcher(cfg)
		d.mailbox = mailbox
		return d
	}, actor.WithDispatcher(mailbox))
}

func newDispatcher(cfg Config) *dispatcher {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	routes := make(map[string]api.Controller, len(cfg.Controllers))
	for _, c := range cfg.Controllers {
		routes[c.Name] = c
	}
	d := &dispatcher{cfg: cfg, routes: routes}
	d.buffers.New = func() any { b := make([]byte, 0, 512); return &b }
	return d
}

// Receive handles the dispatcher's messages.
func (d *dispatcher) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case *actor.Started:
		d.root = ctx.ActorSystem().Root
		d.self = ctx.Self()
		d.ctx, d.cancel = context.WithCancel(context.Background())
		d.jobs = make(chan job, d.cfg.ConcurrentRequests)
	case Dispatch:
		if msg.ReplyTo == nil {
			msg.ReplyTo = ctx.Sender()
		}
		d.dispatch(msg)
	case Register:
		d.routes[msg.Controller.Name] = msg.Controller
	case Unregister:
		delete(d.routes, msg.Name)
	case finished:
		d.counts.finish(msg.protocol, msg.failed)
		d.running--
		d.startQueued()
		d.checkDrained(ctx)
	case Drain:
		d.draining = true
		if ctx.Sender() != nil {
			d.drainers = append(d.drainers, ctx.Sender())
		}
		d.checkDrained(ctx)
	case Routes:
		ctx.Respond(d.routeList())
	case Stats:
		ctx.Respond(d.counts.result(StatsResult{Running: d.running, Pending: len(d.queue)}))
	case *actor.Stopping:
		d.cancel()
		close(d.jobs)
	case *actor.Stopped:
		d.mailbox.Stop()
	}
}

// dispatch validates one payload and starts, queues or refuses it.
func (d *dispatcher) dispatch(msg Dispatch) {
	to := reply{responder: msg.Responder, pid: msg.ReplyTo}
	if len(msg.Payload) > d.cfg.MaxRequestSize {
		req, _ := api.Parse(nil, msg.Connection)
		d.fail(to, req, kerror.New("network.mqtt.unexpected_error",
			"request size exceeds server.maxRequestSize ("+strconv.Itoa(d.cfg.MaxRequestSize)+" bytes)"))
		return
	}
	req, perr := api.Parse(msg.Payload, msg.Connection)
	if perr != nil {
		d.fail(to, req, perr)
		return
	}
	if d.draining {
		d.fail(to, req, kerror.New("network.entrypoint.shutting_down"))
		return
	}
	action, immediate, rerr := d.route(req)
	if rerr != nil {
		d.fail(to, req, rerr)
		return
	}
	j := job{req: req, action: action, reply: to}
	if d.cfg.Pipeline != nil && (!msg.FromPlugin || triggersEvents(req)) {
		if j.events = d.cfg.Pipeline.Events(req.Controller, req.Action); j.events != nil {
			immediate = false // pipes may block: never on the sender's goroutine
		}
	}
	if d.cfg.Observer != nil {
		j.received = time.Now()
	}
	switch {
	case immediate && d.running < d.cfg.ConcurrentRequests && len(d.queue) == 0 && d.handBack(msg.Handoff, j):
	case d.running < d.cfg.ConcurrentRequests:
		d.start(j)
	case len(d.queue) < d.cfg.RequestsBufferSize:
		d.queue = append(d.queue, j)
		if len(d.queue) >= d.cfg.WarningThreshold && !d.warned {
			d.warned = true
			d.cfg.Logger.Warn("requests buffer above its warning threshold", "pending", len(d.queue))
		}
	default:
		d.fail(to, req, kerror.New("api.process.overloaded"))
	}
}

// route finds the action a request names, and whether its controller
// declares it immediate.
func (d *dispatcher) route(req *api.Request) (api.Action, bool, *kerror.Error) {
	if req.Controller == "" {
		return nil, false, kerror.New("api.assert.missing_argument", "controller")
	}
	if req.Action == "" {
		return nil, false, kerror.New("api.assert.missing_argument", "action")
	}
	c, ok := d.routes[req.Controller]
	if !ok {
		return nil, false, kerror.New("api.process.controller_not_found", req.Controller)
	}
	action, ok := c.Actions[req.Action]
	if !ok {
		return nil, false, kerror.New("api.process.action_not_found", req.Controller, req.Action)
	}
	return action, c.Immediate != nil && c.Immediate(req.Action), nil
}

// routeList lists every controller's actions, sorted.
func (d *dispatcher) routeList() map[string][]string {
	out := make(map[string][]string, len(d.routes))
	for name, c := range d.routes {
		list := make([]string, 0, len(c.Actions))
		for action := range c.Actions {
			list = append(list, action)
		}
		sort.Strings(list)
		out[name] = list
	}
	return out
}

// start hands a job to a worker, starting one when all are busy. Workers
// live as long as the dispatcher: a goroutine per request would pay for
// growing a fresh stack each time.
func (d *dispatcher) start(j job) {
	d.running++
	d.counts.begin(j.req.Connection.Protocol)
	if d.workers < d.running {
		d.workers++
		go d.work()
	}
	d.jobs <- j
}

// work runs jobs until the dispatcher stops.
func (d *dispatcher) work() {
	for j := range d.jobs {
		d.run(j)
	}
}

// startQueued fills free slots from the queue.
func (d *dispatcher) startQueued() {
	for d.running < d.cfg.ConcurrentRequests && len(d.queue) > 0 {
		j := d.queue[0]
		d.queue[0] = job{}
		d.queue = d.queue[1:]
		d.start(j)
	}
	if len(d.queue) == 0 {
		d.queue = nil // let the backing array go
		d.warned = false
	}
}

// checkDrained answers the drainers once nothing runs or waits.
func (d *dispatcher) checkDrained(ctx actor.Context) {
	if !d.draining || d.running > 0 || len(d.queue) > 0 {
		return
	}
	for _, pid := range d.drainers {
		ctx.Send(pid, Drained{})
	}
	d.drainers = nil
}

// run executes one action on a worker, then reports back. Workers are the
// only code of this package that runs outside Receive.
func (d *dispatcher) run(j job) {
	ok := false
	defer func() { d.root.Send(d.self, finished{protocol: j.req.Connection.Protocol, failed: !ok}) }()
	ok = d.execute(j)
}

// execute runs an action and sends its answer; it reports whether the
// action succeeded.
func (d *dispatcher) execute(j job) bool {
	var log eventLog
	req, result, err := d.call(j, &log)
	var resp *api.Response
	if err != nil {
		resp = api.Failure(req, err, d.cfg.Node)
	} else {
		resp = api.Success(req, result, d.cfg.Node)
	}
	d.send(j.reply, resp)
	if d.cfg.Observer != nil {
		d.cfg.Observer.ObserveRequest(j.req.Controller, j.req.Action, resp.Status, time.Since(j.received))
	}
	if j.events != nil {
		log.hooks(j.events)
	}
	return err == nil
}

// call runs the action (between its pipes, when it has events), turning
// panics and foreign errors into Kuzzle errors. It returns the request
// answered: the one its pipes made, if they changed it.
func (d *dispatcher) call(j job, log *eventLog) (req *api.Request, result any, kerr *kerror.Error) {
	req = j.req
	defer func() {
		if p := recover(); p != nil {
			d.cfg.Logger.Error("action panicked", "controller", j.req.Controller, "action", j.req.Action, "panic", p)
			result, kerr = nil, kerror.New("core.fatal.unexpected_error", fmt.Sprint(p))
		}
	}()
	ctx := d.ctx
	if d.cfg.Guard != nil {
		var err error
		if ctx, err = d.cfg.Guard.Admit(ctx, j.req); err != nil {
			return req, nil, asKuzzleError(err)
		}
	}
	if j.events != nil {
		return d.funnel(ctx, j, log)
	}
	res, err := j.action(ctx, j.req)
	if err == nil {
		return req, res, nil
	}
	return req, nil, asKuzzleError(err)
}

// asKuzzleError is err as clients get it: a foreign error is
// core.fatal.unexpected_error.
func asKuzzleError(err error) *kerror.Error {
	var ke *kerror.Error
	if errors.As(err, &ke) {
		return ke
	}
	return kerror.New("core.fatal.unexpected_error", err.Error())
}

// fail answers a request with an error from inside Receive.
func (d *dispatcher) fail(to reply, req *api.Request, err *kerror.Error) {
	if req != nil {
		d.counts.refused(req.Connection.Protocol)
	}
	d.send(to, api.Failure(req, err, d.cfg.Node))
	if d.cfg.Observer != nil {
		d.cfg.Observer.ObserveRequest("", "", err.Status, 0)
	}
}

// send encodes a response once and delivers it.
func (d *dispatcher) send(to reply, resp *api.Response) {
	if to.responder == nil {
		d.root.Send(to.pid, Response{RequestID: resp.Request.ID, Payload: d.encode(resp, nil)})
		return
	}
	buf := d.buffers.Get().(*[]byte)
	payload := d.encode(resp, (*buf)[:0])
	if err := to.responder.Respond(payload); err != nil {
		d.cfg.Logger.Debug("response not delivered", "requestId", resp.Request.ID, "error", err)
	}
	if cap(payload) <= pooledBuffer {
		*buf = payload[:0]
		d.buffers.Put(buf)
	}
}

// encode appends a response's JSON to dst; a response that cannot be
// encoded becomes an error response.
func (d *dispatcher) encode(resp *api.Response, dst []byte) []byte {
	payload, err := resp.AppendJSON(dst)
	if err != nil {
		d.cfg.Logger.Error("cannot encode response", "error", err)
		payload, _ = api.Failure(resp.Request, kerror.New("core.fatal.unexpected_error", err.Error()), d.cfg.Node).AppendJSON(dst[:0])
	}
	return payload
}
