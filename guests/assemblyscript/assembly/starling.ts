// starling.ts — AssemblyScript SDK for Starling Wasm guests, ABI 2 (see
// ../../README.md).
//
// A guest registers one function at the top level of its entry file and
// re-exports the ABI:
//
//   import { controller, Request, Result, ok } from "<sdk>/starling";
//   export { starling_abi_version, starling_alloc, starling_manifest,
//            starling_handle, starling_filter } from "<sdk>/starling";
//   controller(`{"controller":"hello","actions":["hi"]}`, hi);
//   function hi(req: Request): Result { return ok(`"hi"`); }
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

let manifestJSON: string = "";
let handler: ((req: Request) => Result) | null = null;
let filterFn: ((name: string, args: string, doc: string) => bool) | null = null;

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
  const n = hostCall(changetype<usize>(b), b.byteLength);
  const out = new ArrayBuffer(n);
  hostCallResult(changetype<usize>(out));
  return String.UTF8.decode(out);
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

export function starling_abi_version(): i32 { return 2; }

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
