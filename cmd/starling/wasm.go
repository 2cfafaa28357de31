package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/kerror"
	"github.com/starlingmq/starling/wasmhost"
	"github.com/starlingmq/starling/wasmhost/wasmtest"
)

// wasmUsage is the help of the wasm subcommand.
const wasmUsage = `usage: starling wasm run [flags] MODULE.wasm

Loads one Wasm module and makes one call into it:
  --action [CONTROLLER:]ACTION   a controller action; the input is the request JSON
  --filter NAME [--args JSON]    a filter; the input is the document JSON
  --pipe EVENT, --hook EVENT     a pipe or a hook; the input is {"request": …, "result": …}
The input comes from --input FILE, else from stdin. The result JSON goes to
stdout; a Kuzzle error goes to stdout too, with exit code 1. The guest's API
calls are answered from --mocks FILE ({"controller:action": {"result": …} or
{"error": {"id": …, "message": …}}}); an action without mock fails.

flags:
`

// runWasm is `starling wasm …`.
func runWasm(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "run" {
		fmt.Fprint(stderr, wasmUsage)
		return 2
	}
	flags := flag.NewFlagSet("starling wasm run", flag.ContinueOnError)
	flags.SetOutput(stderr)
	flags.Usage = func() { fmt.Fprint(stderr, wasmUsage); flags.PrintDefaults() }
	action := flags.String("action", "", "call the controller `action` ([CONTROLLER:]ACTION)")
	filter := flags.String("filter", "", "test the input document against the filter `name`")
	filterArgs := flags.String("args", "", "the filter's arguments (`JSON`)")
	pipe := flags.String("pipe", "", "run the pipe of `event`")
	hook := flags.String("hook", "", "run the hook of `event`")
	input := flags.String("input", "-", "read the request, document or event from `file` (- for stdin)")
	mocks := flags.String("mocks", "", "answer the guest's API calls from `file`")
	timeout := flags.Duration("timeout", wasmhost.DefaultCallTimeout, "the call's deadline")
	memory := flags.Uint("memory", wasmhost.DefaultMemoryPages, "the module's memory limit, in 64 KiB `pages`")
	verbose := flags.Bool("v", false, "log the host's and the guest's debug lines to stderr")
	if err := flags.Parse(args[1:]); err != nil {
		return 2
	}
	kinds := 0
	for _, s := range []string{*action, *filter, *pipe, *hook} {
		if s != "" {
			kinds++
		}
	}
	if flags.NArg() != 1 || kinds != 1 {
		fmt.Fprintln(stderr, "starling wasm run: give one module and one of --action, --filter, --pipe, --hook")
		flags.Usage()
		return 2
	}
	opts := wasmtest.Options{
		Limits: wasmhost.Limits{CallTimeout: *timeout, MemoryPages: uint32(*memory)},
		Logger: wasmLogger(stderr, *verbose),
	}
	if *mocks != "" {
		m, err := wasmtest.LoadMocks(*mocks)
		if err != nil {
			fmt.Fprintf(stderr, "starling wasm run: %v\n", err)
			return 2
		}
		opts.Mocks = m
	}
	data, err := readInput(*input, stdin)
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
	switch {
	case *action != "":
		return c.action(ctx, *action)
	case *filter != "":
		return c.filter(ctx, *filter, *filterArgs)
	case *pipe != "":
		out, err := r.Pipe(ctx, *pipe, data)
		return c.print(out, err)
	default:
		return c.print(nil, r.Hook(ctx, *hook, data))
	}
}

// wasmLogger logs warnings and errors (everything with -v) to stderr.
func wasmLogger(stderr io.Writer, verbose bool) *slog.Logger {
	level := slog.LevelWarn
	if verbose {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
}

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
