// plugin.ts — the price guard plugin in AssemblyScript (see ../README.md): a
// pipe on document:beforeCreate, a hook on auth:afterLogin and a controller
// action "stats".
import {
  changeBody, config, Event, fail, get, INFO, log, manifest, num, ok, onHook, onInit, onPipe, onRequest,
  quote, Request, Result, STATE_ABSENT, stateGet, stateIncr, unchanged,
} from "../../../guests/assemblyscript/assembly/starling";
export {
  starling_abi_version, starling_alloc, starling_manifest, starling_handle, starling_pipe, starling_hook,
  starling_init,
} from "../../../guests/assemblyscript/assembly/starling";

const CHECKED_BY = "plugin-assemblyscript";

// The range is read from the configuration at every pipe call: the stub
// runtime resets the heap at each call, so nothing built survives it (and
// init runs on one instance only).
let minPrice: f64 = 0, maxPrice: f64 = 1000;

// readRange sets the range from a configuration; false when unusable.
function readRange(cfg: string): bool {
  let lo: f64 = 0, hi: f64 = 1000;
  const rawLo = get(cfg, "minPrice"), rawHi = get(cfg, "maxPrice");
  if (rawLo.length > 0) lo = num(rawLo);
  if (rawHi.length > 0) hi = num(rawHi);
  if (isNaN(lo) || isNaN(hi) || lo > hi) return false;
  minPrice = lo;
  maxPrice = hi;
  return true;
}

function init(cfg: string): Result {
  if (!readRange(cfg)) return fail("config: minPrice and maxPrice must be numbers, minPrice <= maxPrice");
  log(INFO, "price range [" + fmt(minPrice) + ", " + fmt(maxPrice) + "]");
  return unchanged();
}

function invalid(): Result {
  return new Result(`{"id":"api.assert.invalid_argument","props":["body.price","a number between ` +
    fmt(minPrice) + " and " + fmt(maxPrice) + `"]}`, true);
}

// fmt writes integers without a decimal point, as the other languages do.
function fmt(f: f64): string {
  return f == Math.floor(f) && Math.abs(f) < 1e15 ? (<i64>f).toString() : f.toString();
}

function checkPrice(ev: Event): Result {
  readRange(config());
  const body = ev.request.body;
  if (body.length < 2 || body.charCodeAt(0) != 0x7b) return invalid();
  const price = num(get(body, "price"));
  if (isNaN(price) || price < minPrice || price > maxPrice) return invalid();
  // The body with checkedBy added last (the last of duplicate keys wins).
  const end = body.lastIndexOf("}");
  return changeBody(body.substring(0, end) + `,"checkedBy":` + quote(CHECKED_BY) + "}");
}

function countLogin(ev: Event): Result {
  const r = stateIncr("logins", 1);
  if (r.status < 0) return fail("state_incr logins: status " + r.status.toString());
  return unchanged();
}

function stats(req: Request): Result {
  const v = stateGet("logins");
  if (v.status == STATE_ABSENT) return ok(`{"logins":0}`);
  if (v.status < 0) return fail("state_get logins: status " + v.status.toString());
  return ok(`{"logins":` + v.value + "}");
}

manifest(`{"controller":"plugin","actions":["stats"],"pipes":["document:beforeCreate"],"hooks":["auth:afterLogin"]}`);
onRequest(stats);
onPipe(checkPrice);
onHook(countLogin);
onInit(init);
