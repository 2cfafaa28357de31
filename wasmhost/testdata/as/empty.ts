// empty.ts is the smallest AssemblyScript controller: one action that
// returns null, for the host overhead benchmark.
import { controller, Request, Result, ok } from "../../../guests/assemblyscript/assembly/starling";
export {
  starling_abi_version, starling_alloc, starling_manifest, starling_handle, starling_filter,
} from "../../../guests/assemblyscript/assembly/starling";

controller(`{"controller":"bench","actions":["empty","echo"]}`, handle);

function handle(req: Request): Result {
  if (req.action == "echo") return ok(req.json);
  return ok("null");
}
