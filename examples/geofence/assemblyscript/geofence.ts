// geofence.ts — the geofence controller in AssemblyScript (see ../README.md).
import { controller, call, get, log, num, Request, Result, ok, WARN } from "../../../guests/assemblyscript/assembly/starling";
export {
  starling_abi_version, starling_alloc, starling_manifest, starling_handle, starling_filter,
} from "../../../guests/assemblyscript/assembly/starling";

// The fence: a circle around Toulouse's Capitole.
const FENCE_LAT = 43.6045, FENCE_LON = 1.4440, FENCE_RADIUS = 5000.0;

// distance returns the great-circle distance in meters (haversine).
function distance(lat1: f64, lon1: f64, lat2: f64, lon2: f64): f64 {
  const r = 6371008.8, rad = Math.PI / 180;
  const dlat = (lat2 - lat1) * rad, dlon = (lon2 - lon1) * rad;
  const a = Math.sin(dlat / 2) * Math.sin(dlat / 2) +
    Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dlon / 2) * Math.sin(dlon / 2);
  return 2 * r * Math.asin(Math.sqrt(a));
}

function missing(name: string): Result {
  return new Result(`{"id":"api.assert.missing_argument","message":"Missing argument \\"` + name +
    `\\".","props":["` + name + `"]}`, true);
}

function check(req: Request): Result {
  const body = req.body;
  if (body.length == 0) return missing("body");
  const lat = num(get(body, "lat")), lon = num(get(body, "lon"));
  if (isNaN(lat)) return missing("body.lat");
  if (isNaN(lon)) return missing("body.lon");
  const d = <i64>Math.round(distance(FENCE_LAT, FENCE_LON, lat, lon));
  if (<f64>d <= FENCE_RADIUS) return ok(`{"inside":true,"distance":` + d.toString() + `}`);
  const resp = call(`{"controller":"realtime","action":"publish","index":"geofence","collection":"alerts",` +
    `"body":{"lat":` + get(body, "lat") + `,"lon":` + get(body, "lon") + `,"distance":` + d.toString() + `}}`);
  const published = get(resp, "status") == "200";
  if (!published) log(WARN, "the alert could not be published");
  return ok(`{"inside":false,"distance":` + d.toString() + `,"alert":` + (published ? "true" : "false") + `}`);
}

// Registered last: top-level code runs in order, after the constants above.
controller(`{"controller":"geofence","actions":["check"]}`, check);
