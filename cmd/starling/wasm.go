package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/kerror"
	"github.com/starlingmq/starling/wasmhost"
	"github.com/starlingmq/starling/wasmhost/wasmtest"
)

// wasmUsage is the help of the wasm subcommand.
const wasmUsage = `usage: starling wasm run [flags] MODULE.wasm

Loads one Wasm module as the server would (its --config given, its
starling_init run) and makes one call into it:
  --action [CONTROLLER:]ACTION   a controller action; the input is the request JSON
  --filter NAME [--args JSON]    a filter; the input is the document JSON
  --pipe EVENT, --hook EVENT     a pipe or a hook; the input is the pipe input
                                 {"event", "request", "result", "error"} or the
                                 request alone (--result, --error give the rest)
The input comes from --input FILE, else from stdin. The result JSON goes to
stdout (a pipe's: {"request": …} or {"result": …}; a hook's: {"ok": …,
"calls": […]}); a Kuzzle error goes to stdout too, with exit code 1. The
guest's API calls are answered from --mocks FILE ({"controller:action":
{"result": …} or {"error": {"id": …, "message": …}}}); an action without
mock fails. The module's state lives in memory, loaded from and saved to
--state FILE (a JSON object of key -> value) when given; --show-state prints
it after the call as {"state": {…}}. The guest's log lines go to stderr.

flags:
`

// wasmFlags are the flags of `starling wasm run`.
type wasmFlags struct {
	action, filter, filterArgs, pipe, hook *string
	result, failure, config, state         *string
	input, mocks                           *string
	showState, verbose                     *bool
	timeout                                *time.Duration
	memory                                 *uint
	actions, hosts                         *list
}

// list is a comma-separated flag that tells whether it was given: given
// empty, it is an empty list, not none.
type list struct {
	items []string
	set   bool
}

func (l *list) String() string { return strings.Join(l.items, ",") }

func (l *list) Set(v string) error {
	l.set, l.items = true, []string{}
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			l.items = append(l.items, p)
		}
	}
	return nil
}

// value returns the list, nil when the flag was not given.
func (l *list) value() []string {
	if !l.set {
		return nil
	}
	return l.items
}

func defineWasmFlags(flags *flag.FlagSet) *wasmFlags {
	f := &wasmFlags{actions: &list{}, hosts: &list{}}
	f.action = flags.String("action", "", "call the controller `action` ([CONTROLLER:]ACTION)")
	f.filter = flags.String("filter", "", "test the input document against the filter `name`")
	f.filterArgs = flags.String("args", "", "the filter's arguments (`JSON`)")
	f.pipe = flags.String("pipe", "", "run the pipe of `event` (document:beforeCreate, request:onExecution, …)")
	f.hook = flags.String("hook", "", "run the hook of `event`")
	f.result = flags.String("result", "", "the result given to the pipe or hook (`JSON`; after and onSuccess events)")
	f.failure = flags.String("error", "", "the error given to the pipe or hook (`JSON` {\"id\": …, \"message\": …}; error events)")
	f.config = flags.String("config", "", "the module's configuration: `JSON`, or @FILE")
	f.state = flags.String("state", "", "load the module's state from `file` (if it exists) and save it there after the call")
	f.showState = flags.Bool("show-state", false, "print the module's state after the call")
	f.input = flags.String("input", "-", "read the request, document or event from `file` (- for stdin)")
	f.mocks = flags.String("mocks", "", "answer the guest's API calls from `file`")
	f.timeout = flags.Duration("timeout", wasmhost.DefaultCallTimeout, "the call's deadline")
	f.memory = flags.Uint("memory", wasmhost.DefaultMemoryPages, "the module's memory limit, in 64 KiB `pages`")
	f.verbose = flags.Bool("v", false, "log the host's and the guest's debug lines to stderr")
	flags.Var(f.actions, "allowed-actions", "the actions the guest may call (comma-separated `controller:action` patterns; all when not given)")
	flags.Var(f.hosts, "allowed-hosts", "the hosts http_request may reach (comma-separated `hosts`; none when not given)")
	return f
}

// runWasm is `starling wasm …`.
func runWasm(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "run" {
		fmt.Fprint(stderr, wasmUsage)
		return 2
	}
	flags := flag.NewFlagSet("starling wasm run", flag.ContinueOnError)
	flags.SetOutput(stderr)
	flags.Usage = func() { fmt.Fprint(stderr, wasmUsage); flags.PrintDefaults() }
	f := defineWasmFlags(flags)
	if err := flags.Parse(args[1:]); err != nil {
		return 2
	}
	kinds := 0
	for _, s := range []string{*f.action, *f.filter, *f.pipe, *f.hook} {
		if s != "" {
			kinds++
		}
	}
	if flags.NArg() != 1 || kinds != 1 {
		fmt.Fprintln(stderr, "starling wasm run: give one module and one of --action, --filter, --pipe, --hook")
		flags.Usage()
		return 2
	}
	opts, data, err := f.options(stdin, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "starling wasm run: %v\n", err)
		return 2
	}
	ctx := context.Background()
	r, err := wasmtest.Open(ctx, flags.Arg(0), opts)
	if err != nil {
		fmt.Fprintf(stderr, "starling wasm run: %v\n", err)
		return 1
	}
	defer r.Close(ctx)
	c := wasmCall{r: r, stdout: stdout, stderr: stderr, input: data}
	code := f.call(ctx, c)
	if *f.state != "" {
		if err := wasmtest.SaveState(*f.state, r.State()); err != nil {
			fmt.Fprintf(stderr, "starling wasm run: %v\n", err)
			return 1
		}
	}
	if *f.showState {
		fmt.Fprintf(stdout, "{\"state\":%s}\n", wasmtest.StateJSON(r.State()))
	}
	return code
}

// call makes the call the flags ask for and prints its outcome.
func (f *wasmFlags) call(ctx context.Context, c wasmCall) int {
	switch {
	case *f.action != "":
		return c.action(ctx, *f.action)
	case *f.filter != "":
		return c.filter(ctx, *f.filter, *f.filterArgs)
	case *f.pipe != "":
		return c.event(ctx, *f.pipe, *f.result, *f.failure, false)
	}
	return c.event(ctx, *f.hook, *f.result, *f.failure, true)
}

// options reads the files the flags name into the runner's options, and
// the input.
func (f *wasmFlags) options(stdin io.Reader, stderr io.Writer) (wasmtest.Options, []byte, error) {
	opts := wasmtest.Options{
		Limits: wasmhost.Limits{CallTimeout: *f.timeout, MemoryPages: uint32(*f.memory)},
		Logger: wasmLogger(stderr, *f.verbose),
		Settings: wasmhost.Settings{
			AllowedActions: f.actions.value(),
			AllowedHosts:   f.hosts.value(),
		},
	}
	if *f.mocks != "" {
		m, err := wasmtest.LoadMocks(*f.mocks)
		if err != nil {
			return opts, nil, err
		}
		opts.Mocks = m
	}
	if *f.config != "" {
		cfg, err := readConfig(*f.config)
		if err != nil {
			return opts, nil, err
		}
		opts.Settings.Config = cfg
	}
	if *f.state != "" {
		st, err := wasmtest.LoadState(*f.state)
		if err != nil {
			return opts, nil, err
		}
		opts.State = st
	}
	data, err := readInput(*f.input, stdin)
	return opts, data, err
}

// readConfig reads --config: JSON, or @FILE holding it.
func readConfig(v string) (jsonx.RawMessage, error) {
	data := []byte(v)
	if path, ok := strings.CutPrefix(v, "@"); ok {
		var err error
		if data, err = os.ReadFile(path); err != nil {
			return nil, fmt.Errorf("read the configuration: %w", err)
		}
	}
	data = bytes.TrimSpace(data)
	if !jsonx.Valid(data) {
		return nil, fmt.Errorf("--config: not JSON: %.80q", data)
	}
	return data, nil
}

// wasmLogger logs to stderr the guest's lines (log, stdout, stderr) from
// info up and the host's warnings and errors; everything with -v.
func wasmLogger(stderr io.Writer, verbose bool) *slog.Logger {
	level := slog.LevelInfo
	if verbose {
		level = slog.LevelDebug
	}
	h := slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level})
	if verbose {
		return slog.New(h)
	}
	return slog.New(guestLines{h})
}

// guestLines passes on the records below warning only when they come from
// the guest (a "source" attribute).
type guestLines struct{ slog.Handler }

func (g guestLines) Handle(ctx context.Context, r slog.Record) error {
	if r.Level < slog.LevelWarn {
		guest := false
		r.Attrs(func(a slog.Attr) bool {
			guest = a.Key == "source"
			return !guest
		})
		if !guest {
			return nil
		}
	}
	return g.Handler.Handle(ctx, r)
}

func (g guestLines) WithAttrs(attrs []slog.Attr) slog.Handler {
	return guestLines{g.Handler.WithAttrs(attrs)}
}

func (g guestLines) WithGroup(name string) slog.Handler { return guestLines{g.Handler.WithGroup(name)} }

// readInput reads the input file, or stdin for "-".
func readInput(path string, stdin io.Reader) ([]byte, error) {
	if path == "-" {
		data, err := io.ReadAll(stdin)
		if err != nil {
			return nil, fmt.Errorf("read stdin: %w", err)
		}
		return data, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read input: %w", err)
	}
	return data, nil
}

// wasmCall makes the call and prints its outcome.
type wasmCall struct {
	r              *wasmtest.Runner
	stdout, stderr io.Writer
	input          []byte
}

func (c wasmCall) action(ctx context.Context, action string) int {
	res, kerr := c.r.Action(ctx, action, c.input)
	if kerr != nil {
		return c.print(nil, kerr)
	}
	return c.print(res, nil)
}

func (c wasmCall) filter(ctx context.Context, name, args string) int {
	var raw jsonx.RawMessage
	if args != "" {
		raw = jsonx.RawMessage(args)
	}
	ok, err := c.r.Filter(ctx, name, raw, []byte(strings.TrimSpace(string(c.input))))
	if err != nil {
		return c.print(nil, err)
	}
	if ok {
		return c.print(jsonx.RawMessage("true"), nil)
	}
	return c.print(jsonx.RawMessage("false"), nil)
}

// print writes the result, or the error as Kuzzle's JSON (exit code 1).
func (c wasmCall) print(res jsonx.RawMessage, err error) int {
	if err != nil {
		var kerr *kerror.Error
		if !errors.As(err, &kerr) {
			fmt.Fprintf(c.stderr, "starling wasm run: %v\n", err)
			return 1
		}
		out, _ := jsonx.Marshal(kerr)
		fmt.Fprintf(c.stdout, "%s\n", out)
		return 1
	}
	if res == nil {
		return 0
	}
	fmt.Fprintf(c.stdout, "%s\n", res)
	return 0
}

// event runs a pipe or a hook (hook true) on the input, completed by the
// --result and --error flags.
func (c wasmCall) event(ctx context.Context, event, result, failure string, hook bool) int {
	name, ev, err := wasmtest.ParseEvent(c.input)
	if err == nil && name != "" && name != event {
		err = fmt.Errorf("the input is the event %s, not %s", name, event)
	}
	if err == nil {
		err = eventFlags(&ev, result, failure)
	}
	if err != nil {
		fmt.Fprintf(c.stderr, "starling wasm run: %v\n", err)
		return 2
	}
	if hook {
		return c.hook(ctx, event, ev)
	}
	out, kerr, err := c.r.Pipe(ctx, event, ev)
	switch {
	case err != nil:
		return c.print(nil, err)
	case kerr != nil:
		return c.print(nil, kerr)
	}
	enc, err := jsonx.Marshal(out)
	return c.print(enc, err)
}

// eventFlags completes an event with --result and --error.
func eventFlags(ev *wasmtest.Event, result, failure string) error {
	if result != "" {
		if ev.Result != nil {
			return errors.New("the input has a result: leave --result out")
		}
		if !jsonx.Valid([]byte(result)) {
			return fmt.Errorf("--result: not JSON: %.80q", result)
		}
		ev.Result = jsonx.RawMessage(result)
	}
	if failure != "" {
		if ev.Error != nil {
			return errors.New("the input has an error: leave --error out")
		}
		var e wasmtest.MockError
		if err := jsonx.Unmarshal([]byte(failure), &e); err != nil {
			return fmt.Errorf("--error: not {\"id\": …, \"message\": …}: %.80q", failure)
		}
		ev.Error = &e
	}
	return nil
}

// hook runs a hook and prints {"ok": …, "error": …, "calls": […]}, the API
// calls it made included; a failed hook exits with 1.
func (c wasmCall) hook(ctx context.Context, event string, ev wasmtest.Event) int {
	err := c.r.Hook(ctx, event, ev)
	var failed *wasmtest.HookError
	if err != nil && !errors.As(err, &failed) {
		return c.print(nil, err)
	}
	type call struct {
		Controller string           `json:"controller"`
		Action     string           `json:"action"`
		Request    jsonx.RawMessage `json:"request"`
	}
	out := struct {
		OK    bool   `json:"ok"`
		Error string `json:"error,omitempty"`
		Calls []call `json:"calls"`
	}{OK: failed == nil, Calls: []call{}}
	if failed != nil {
		out.Error = failed.Error()
	}
	for _, k := range c.r.Calls() {
		out.Calls = append(out.Calls, call{k.Controller, k.Action, k.Payload})
	}
	enc, err := jsonx.Marshal(out)
	if code := c.print(enc, err); code != 0 || failed == nil {
		return code
	}
	return 1
}
