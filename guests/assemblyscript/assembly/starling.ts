// starling.ts — AssemblyScript SDK for Starling Wasm guests, ABI 3 (see
// ../../README.md).
//
// A guest registers its functions at the top level of its entry file and
// re-exports the ABI:
//
//   import { controller, Request, Result, ok } from "<sdk>/starling";
//   export { starling_abi_version, starling_alloc, starling_manifest,
//            starling_handle, starling_filter } from "<sdk>/starling";
//   controller(`{"controller":"hello","actions":["hi"]}`, hi);
//   function hi(req: Request): Result { return ok(`"hi"`); }
//
// For more than one entry point: manifest(json), then onRequest, onFilter,
// onPipe, onHook, onInit, onTick, and re-export starling_pipe,
// starling_hook, starling_init, starling_tick as needed.
//
// Build with `asc entry.ts -o guest.wasm --runtime stub -O3 --noAssert`.
// The stub runtime never frees: the SDK resets the heap at each call, so
// module-level values must be literals or primitives (no object built at the
// top level survives the first call).

// @ts-ignore: decorator
@external("starling", "log")
declare function hostLog(level: i32, ptr: usize, len: i32): void;
// @ts-ignore: decorator
@external("starling", "now")
declare function hostNow(): i64;
// @ts-ignore: decorator
@external("starling", "call")
declare function hostCall(ptr: usize, len: i32): i32;
// @ts-ignore: decorator
@external("starling", "call_result")
declare function hostCallResult(ptr: usize): void;
// @ts-ignore: decorator
@external("starling", "config")
declare function hostConfig(): i32;
// @ts-ignore: decorator
@external("starling", "state_get")
declare function hostStateGet(k: usize, klen: i32): i32;
// @ts-ignore: decorator
@external("starling", "state_set")
declare function hostStateSet(k: usize, klen: i32, v: usize, vlen: i32): i32;
// @ts-ignore: decorator
@external("starling", "state_delete")
declare function hostStateDelete(k: usize, klen: i32): i32;
// @ts-ignore: decorator
@external("starling", "state_incr")
declare function hostStateIncr(k: usize, klen: i32, delta: i64, out: usize): i32;
// @ts-ignore: decorator
@external("starling", "http_request")
declare function hostHTTPRequest(ptr: usize, len: i32): i32;

/** A request the controller serves: its JSON, with accessors. */
export class Request {
  private text: string | null = null;
  constructor(private ptr: usize, private len: usize) {}
  /** The request JSON, decoded on first use. */
  get json(): string {
    let t = this.text;
    if (t == null) {
      t = String.UTF8.decodeUnsafe(this.ptr, this.len);
      this.text = t;
    }
    return t;
  }
  /** The action name. */
  get action(): string { return str(get(this.json, "action")); }
  /** The raw JSON of the body, "" when absent. */
  get body(): string { return get(this.json, "body"); }
  /** The raw JSON of one argument, "" when absent. */
  arg(name: string): string { return get(get(this.json, "args"), name); }
  /** A request over JSON already decoded. */
  static of(json: string): Request {
    const r = new Request(0, 0);
    r.text = json;
    return r;
  }
}

/** What a pipe or a hook receives. */
export class Event {
  constructor(public json: string) {}
  /** The event's name, e.g. "document:beforeCreate". */
  get name(): string { return str(get(this.json, "event")); }
  /** The request the event is about. */
  get request(): Request { return Request.of(get(this.json, "request")); }
  /** The raw result (after and success events), "" when absent. */
  get result(): string { return get(this.json, "result"); }
  /** The raw error object (error events), "" when absent. */
  get error(): string { return get(this.json, "error"); }
}

/** What a handler returns: a result or an error, as JSON. */
export class Result {
  constructor(public json: string, public isError: bool) {}
}

/** ok returns the result JSON. */
export function ok(json: string): Result { return new Result(json, false); }

/** fail returns an error: a message, and optionally a Kuzzle error id. */
export function fail(message: string, id: string = ""): Result {
  let json = `{"message":` + quote(message);
  if (id.length > 0) json += `,"id":` + quote(id);
  return new Result(json + "}", true);
}

/** unchanged is a pipe's answer that leaves the request as it is. */
export function unchanged(): Result { return new Result("", false); }

/** changeBody is a pipe's answer replacing the request's body (before events). */
export function changeBody(body: string): Result { return ok(`{"request":{"body":` + body + `}}`); }

/** changeResult is a pipe's answer replacing the result (after events). */
export function changeResult(result: string): Result { return ok(`{"result":` + result + `}`); }

let manifestJSON: string = "";
let handler: ((req: Request) => Result) | null = null;
let filterFn: ((name: string, args: string, doc: string) => bool) | null = null;
let pipeFn: ((ev: Event) => Result) | null = null;
let hookFn: ((ev: Event) => Result) | null = null;
let initFn: ((config: string) => Result) | null = null;
let tickFn: ((now: i64) => Result) | null = null;

/** manifest sets the manifest JSON (controller, actions, filters, pipes, hooks, tick). */
export function manifest(json: string): void { manifestJSON = json; }
/** onRequest registers the function serving every action. */
export function onRequest(f: (req: Request) => Result): void { handler = f; }
/** onFilter registers the function testing documents. */
export function onFilter(f: (name: string, args: string, doc: string) => bool): void { filterFn = f; }
/** onPipe registers the function serving the manifest's pipes. */
export function onPipe(f: (ev: Event) => Result): void { pipeFn = f; }
/** onHook registers the function told of the manifest's hooks. */
export function onHook(f: (ev: Event) => Result): void { hookFn = f; }
/** onInit registers the function run once with the module's configuration JSON. */
export function onInit(f: (config: string) => Result): void { initFn = f; }
/** onTick registers the function run every manifest's tick milliseconds. */
export function onTick(f: (now: i64) => Result): void { tickFn = f; }

/** controller registers the manifest and the function serving every action. */
export function controller(manifest: string, handle: (req: Request) => Result): void {
  manifestJSON = manifest;
  handler = handle;
}

/** filters registers the manifest and the function testing documents. */
export function filters(manifest: string, test: (name: string, args: string, doc: string) => bool): void {
  manifestJSON = manifest;
  filterFn = test;
}

/** Log levels. */
export const DEBUG = 0, INFO = 1, WARN = 2, ERROR = 3;

/** log writes a line in the server's log. */
export function log(level: i32, message: string): void {
  const b = String.UTF8.encode(message);
  hostLog(level, changetype<usize>(b), b.byteLength);
}

/** now returns the wall clock, in milliseconds since the epoch. */
export function now(): i64 { return hostNow(); }

/** call runs an API request (JSON) as the caller's user; returns the response JSON. */
export function call(request: string): string {
  const b = String.UTF8.encode(request);
  return answer(hostCall(changetype<usize>(b), b.byteLength));
}

/** answer copies the host's last answer, n bytes long. */
function answer(n: i32): string {
  if (n <= 0) return "";
  const out = new ArrayBuffer(n);
  hostCallResult(changetype<usize>(out));
  return String.UTF8.decode(out);
}

/** config returns the module's configuration JSON ("null" when none). */
export function config(): string { return answer(hostConfig()); }

/** Statuses of the state functions. */
export const STATE_ABSENT = -1, STATE_TOO_LARGE = -2, STATE_QUOTA = -3,
  STATE_NOT_INTEGER = -4, STATE_STORAGE = -5;

/** A state value, or the status saying why there is none. */
export class StateValue {
  constructor(public status: i32, public value: string) {}
}

/** stateGet returns the value at key (status 0), or a negative status. */
export function stateGet(key: string): StateValue {
  const k = String.UTF8.encode(key);
  const n = hostStateGet(changetype<usize>(k), k.byteLength);
  if (n < 0) return new StateValue(n, "");
  return new StateValue(0, answer(n));
}

/** stateSet stores value at key: 0, or a negative status. */
export function stateSet(key: string, value: string): i32 {
  const k = String.UTF8.encode(key), v = String.UTF8.encode(value);
  return hostStateSet(changetype<usize>(k), k.byteLength, changetype<usize>(v), v.byteLength);
}

/** stateDelete returns 1 (deleted), 0 (absent) or a negative status. */
export function stateDelete(key: string): i32 {
  const k = String.UTF8.encode(key);
  return hostStateDelete(changetype<usize>(k), k.byteLength);
}

/** The outcome of stateIncr: status 0 and the new value, or a negative status. */
export class StateCount {
  constructor(public status: i32, public value: i64) {}
}

/** stateIncr adds delta to the integer at key (absent: 0). */
export function stateIncr(key: string, delta: i64): StateCount {
  const k = String.UTF8.encode(key);
  const out = new ArrayBuffer(8);
  const st = hostStateIncr(changetype<usize>(k), k.byteLength, delta, changetype<usize>(out));
  return new StateCount(st, st < 0 ? 0 : load<i64>(changetype<usize>(out)));
}

/** httpRequest runs an outbound request ({"method","url","headers","body"}); returns the answer JSON. */
export function httpRequest(request: string): string {
  const b = String.UTF8.encode(request);
  return answer(hostHTTPRequest(changetype<usize>(b), b.byteLength));
}

// The ABI exports.

// The host keeps the input buffer starling_alloc returns (ABI 2) and calls
// starling_alloc again only for a larger one. It is the heap's first block:
// every call resets the heap and re-reserves it, at the same address (the
// stub runtime is a bump allocator), so the input survives and the rest of
// the heap is reclaimed.

let input: usize = 0;
let inputSize: usize = 0;
let output: ArrayBuffer = new ArrayBuffer(0);

// The host functions of ABI 3 may be called from any entry point, so the
// SDK reports 3 whatever the guest uses.
export function starling_abi_version(): i32 { return 3; }

export function starling_alloc(len: i32): usize {
  heap.reset();
  inputSize = <usize>len;
  input = heap.alloc(inputSize);
  return input;
}

/** reset reclaims the heap but for the input buffer. */
function reset(): void {
  heap.reset();
  if (input != 0 && heap.alloc(inputSize) != input) unreachable();
}

function pack(buf: ArrayBuffer, isError: bool): i64 {
  output = buf;
  let n = <u64>buf.byteLength;
  if (isError) n |= 0x80000000;
  return <i64>((<u64>changetype<usize>(buf) << 32) | n);
}

export function starling_manifest(): i64 {
  return pack(String.UTF8.encode(manifestJSON), false);
}

export function starling_handle(ptr: usize, len: i32): i64 {
  reset();
  const h = handler;
  if (h == null) return pack(String.UTF8.encode(`{"message":"no controller"}`), true);
  const res = h(new Request(ptr, <usize>len));
  return pack(String.UTF8.encode(res.json), res.isError);
}

function answerOf(res: Result): i64 { return pack(String.UTF8.encode(res.json), res.isError); }

export function starling_pipe(ptr: usize, len: i32): i64 {
  reset();
  const f = pipeFn;
  if (f == null) return pack(String.UTF8.encode(`{"message":"no pipe"}`), true);
  return answerOf(f(new Event(String.UTF8.decodeUnsafe(ptr, <usize>len))));
}

export function starling_hook(ptr: usize, len: i32): i64 {
  reset();
  const f = hookFn;
  if (f == null) return pack(String.UTF8.encode(`{"message":"no hook"}`), true);
  return answerOf(f(new Event(String.UTF8.decodeUnsafe(ptr, <usize>len))));
}

export function starling_init(ptr: usize, len: i32): i64 {
  reset();
  const f = initFn;
  if (f == null) return answerOf(unchanged());
  const cfg = get(String.UTF8.decodeUnsafe(ptr, <usize>len), "config");
  return answerOf(f(cfg.length > 0 ? cfg : "null"));
}

export function starling_tick(ptr: usize, len: i32): i64 {
  reset();
  const f = tickFn;
  if (f == null) return answerOf(unchanged());
  const t = num(get(String.UTF8.decodeUnsafe(ptr, <usize>len), "now"));
  return answerOf(f(isNaN(t) ? 0 : <i64>t));
}

export function starling_filter(ptr: usize, len: i32): i32 {
  reset();
  const f = filterFn;
  if (f == null) return -1;
  const json = String.UTF8.decodeUnsafe(ptr, <usize>len);
  return f(str(get(json, "filter")), get(json, "args"), get(json, "document")) ? 1 : 0;
}

// JSON helpers: just enough to pick values out of objects.

function space(s: string, i: i32): i32 {
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c != 0x20 && c != 0x09 && c != 0x0a && c != 0x0d) break;
    i++;
  }
  return i;
}

function skip(s: string, i: i32): i32 {
  if (i >= s.length) return s.length;
  let c = s.charCodeAt(i);
  if (c == 0x22) {
    for (i++; i < s.length; i++) {
      c = s.charCodeAt(i);
      if (c == 0x5c) i++;
      else if (c == 0x22) return i + 1;
    }
    return s.length;
  }
  if (c == 0x7b || c == 0x5b) {
    let depth = 0;
    for (; i < s.length; i++) {
      c = s.charCodeAt(i);
      if (c == 0x22) i = skip(s, i) - 1;
      else if (c == 0x7b || c == 0x5b) depth++;
      else if ((c == 0x7d || c == 0x5d) && --depth == 0) return i + 1;
    }
    return s.length;
  }
  while (i < s.length) {
    c = s.charCodeAt(i);
    if (c == 0x2c || c == 0x7d || c == 0x5d || c == 0x20 || c == 0x0a) break;
    i++;
  }
  return i;
}

/** get returns the raw JSON of key in a JSON object (top level), "" when absent. */
export function get(json: string, key: string): string {
  let i = space(json, 0);
  if (i >= json.length || json.charCodeAt(i) != 0x7b) return "";
  i++;
  while (true) {
    i = space(json, i);
    if (i >= json.length || json.charCodeAt(i) != 0x22) return "";
    const kend = skip(json, i);
    const k = json.substring(i + 1, kend - 1);
    i = space(json, kend);
    if (i >= json.length || json.charCodeAt(i) != 0x3a) return "";
    i = space(json, i + 1);
    const vend = skip(json, i);
    if (k == key) return json.substring(i, vend);
    i = space(json, vend);
    if (i >= json.length || json.charCodeAt(i) != 0x2c) return "";
    i++;
  }
}

/** num parses a raw JSON number (NaN when it is none). */
export function num(raw: string): f64 { return raw.length > 0 ? parseFloat(raw) : NaN; }

/** str returns a raw JSON string's content (escapes kept as is). */
export function str(raw: string): string {
  return raw.length >= 2 && raw.charCodeAt(0) == 0x22 ? raw.substring(1, raw.length - 1) : "";
}

/** quote returns s as a JSON string. */
export function quote(s: string): string {
  let out = "\"";
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c == 0x22 || c == 0x5c) out += "\\" + String.fromCharCode(c);
    else if (c < 0x20) out += "\\u00" + (c < 0x10 ? "0" : "") + c.toString(16);
    else out += String.fromCharCode(c);
  }
  return out + "\"";
}
